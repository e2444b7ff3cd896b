"""Importer commands of `locator`: init, seed, import <source>, snapshot building."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask.cli import with_appcontext
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from locator.db import migrate, schema_is_current
from locator.errors import LocatorError
from locator.models import LawChangeProposal, StateLaw
from locator.web.session import current_settings, get_engine
from scrapers import samhsa, samhsa_national, snapshot
from scrapers.base import ImportError_, ImportReport, run_import
from scrapers.facilities import FacilityWriter
from scrapers.meeting_snapshot import seed_meetings
from scrapers.runs import failures_recorded

if TYPE_CHECKING:  # openpyxl is imported only by the commands that read workbooks
    from scrapers.samhsa_files import SamhsaFile


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Migrate the database and load the embedded data on first run (no network)."""
    engine = get_engine()
    migrate(engine)
    reports = snapshot.seed(engine) + seed_meetings(engine)
    for report in reports:
        click.echo(report.summary())
    click.echo(law_snapshot_summary(engine))
    if not reports:
        click.echo("Embedded data already loaded; nothing to do.")


def law_snapshot_summary(engine: Engine) -> str:
    """Say how many kratom-law rows the store holds and how many proposals await review."""
    with Session(engine) as session:
        laws = session.scalar(select(func.count()).select_from(StateLaw)) or 0
        pending = session.scalar(
            select(func.count())
            .select_from(LawChangeProposal)
            .where(col(LawChangeProposal.status) == "pending")
        )
    return f"kratom law: {laws} states and territories; {pending or 0} change proposals to review"


@click.command("seed")
@click.option("--force", is_flag=True, help="Load the snapshots even if facilities exist.")
@with_appcontext
def seed_command(force: bool) -> None:
    """Load the embedded codebooks and facility snapshots from data/."""
    for report in snapshot.seed(_migrated_engine(), only_if_empty=not force):
        click.echo(report.summary())


@click.group("import")
def import_group() -> None:
    """Import a source into the store (from a file, or live where the source allows)."""


@import_group.command("samhsa")
@click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved API answer (JSON page or list of pages), a site export (CSV/XLSX) or an "
    "N-SUMHSS National Directory workbook (XLSX).",
)
@click.option("--live", is_flag=True, help="Sweep the FindTreatment.gov API (network).")
@click.option(
    "--state",
    "states",
    multiple=True,
    metavar="XX",
    help="With --live: sweep only this state (repeatable); default every state and territory.",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="With --file: the file lists every facility, so stored ones it lacks become inactive.",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --full-refresh: retire listings even beyond refresh_max_retire_share.",
)
@click.option(
    "--vintage",
    default="",
    help="Codebook vintage of a National Directory (default: nsumhss-<year in the file name>).",
)
@with_appcontext
def import_samhsa(
    path: Path | None,
    live: bool,
    states: tuple[str, ...],
    full_refresh: bool,
    force: bool,
    vintage: str,
) -> None:
    """Import FindTreatment.gov facilities from a file or, with --live, from the API."""
    _one_mode(path, live)
    if states and not live:
        raise click.UsageError("--state goes with --live.")
    if force and not (full_refresh or live):
        raise click.UsageError("--force goes with --full-refresh or --live.")
    if path is None:
        _import_samhsa_live(states, force)
        return

    from scrapers import samhsa_files

    engine = _migrated_engine()
    with _failed_before_run(engine, samhsa.SOURCE):
        found = samhsa_files.open_file(path, vintage)
    click.echo(f"Reading {path.name}: {found.describe()}, as source {found.source}.", err=True)
    writer = FacilityWriter(
        source=found.source,
        source_note=f"{found.title} (imported from the file {path.name}).",
        source_url=samhsa.SOURCE_URL,
        family=samhsa.SOURCE,
        as_of=found.as_of,
    )
    _report(
        lambda: run_import(
            engine,
            source=found.source,
            items=samhsa_files.file_items(found),
            writer=writer,
            seen_on=date.today(),
            full_refresh=full_refresh,
            progress=_progress,
            prepare=lambda session: _store_codebook(session, found),
            max_retire_share=current_settings().refresh_max_retire_share,
            force=force,
            input_digest=samhsa_files.input_digest(found),
        )
    )


def _store_codebook(session: Session, found: SamhsaFile) -> None:
    from scrapers.samhsa_files import store_reference

    if found.reference:
        changed = store_reference(session, found.vintage, found.reference)
        click.echo(
            f"Service Code Reference: {len(found.reference)} codes stored as {found.vintage} "
            f"({changed} added or changed; the vintage keeps every publication's codes).",
            err=True,
        )


def _import_samhsa_live(states: tuple[str, ...], force: bool) -> None:
    from flask import current_app

    from scrapers import samhsa_api
    from scrapers.locks import JobBusyError, job_lock

    config = current_app.config
    try:
        sweeps = samhsa_api.plan_sweeps(list(states) or current_settings().samhsa_states)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from exc
    codes = [s.state.code for s in sweeps]
    engine = _migrated_engine()
    with click.progressbar(
        length=len(sweeps),
        label="FindTreatment.gov",
        item_show_func=lambda code: code,
        file=sys.stderr,
    ) as bar:

        def swept(sweep: samhsa_api.Sweep, kept: int) -> None:
            bar.update(1, f"{sweep.state.code}: {kept} rows")

        try:
            with job_lock(engine, "samhsa", hours=current_settings().job_lock_hours):
                _report(
                    lambda: samhsa_api.import_live(
                        engine, config, states=codes, on_sweep=swept, force=force
                    )
                )
        except JobBusyError as exc:
            raise click.ClickException(f"Not started: {exc}") from exc


@click.command("snapshot-samhsa")
@click.argument("response", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as-of", "as_of", required=True, type=click.DateTime(["%Y-%m-%d"]))
@click.option("--note", required=True, help="Where the response came from, for people.")
@click.option("--url", "url", required=True, help="Where the response can be found.")
@click.option("--sample/--complete", default=True, show_default=True)
def snapshot_samhsa(response: Path, as_of: datetime, note: str, url: str, sample: bool) -> None:
    """Print a data/ snapshot built from a saved FindTreatment.gov response."""
    built = snapshot.build_samhsa_snapshot(
        response, as_of=as_of.date(), source_note=note, source_url=url, sample=sample
    )
    json.dump(built, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


@click.command("snapshot-national")
@click.option(
    "--datasets",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=samhsa_national.NATIONAL_DIR,
    show_default=True,
    help="The folder holding SAMHSA's four national files (see data/README.md).",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=snapshot.SNAPSHOT_DIR,
    show_default=True,
    help="Where to write <source>.json.gz.",
)
def snapshot_national(folder: Path, out_dir: Path) -> None:
    """Build the national SA, MH and OTP snapshots from SAMHSA's 2022 files."""
    try:
        written = snapshot.build_national_snapshots(folder, out_dir)
    except (ImportError_, OSError) as exc:
        raise click.ClickException(f"No snapshot written: {exc}") from exc
    for path in written:
        data = snapshot.read_snapshot(path)
        click.echo(
            f"{path}: {len(data['records'])} facilities, {len(data['rejected'])} rows "
            f"rejected, {path.stat().st_size:,} bytes"
        )


def _locked(job: str, run: Callable[[], ImportReport]) -> None:
    """Run a live import under its scheduler job's lock: never beside a scheduled run.

    The caller has checked the schema (_migrated_engine): the lock lives in the store.
    """

    from scrapers.locks import JobBusyError, job_lock

    try:
        with job_lock(get_engine(), job, hours=current_settings().job_lock_hours):
            _report(run)
    except JobBusyError as exc:
        raise click.ClickException(f"Not started: {exc}") from exc


def _migrated_engine() -> Engine:
    """Return the store's engine, or stop with what to type when it was never migrated."""
    engine = get_engine()
    url = engine.url.render_as_string(hide_password=True)
    try:
        current = schema_is_current(engine)
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise click.ClickException(
            f"The database at {url} cannot be reached ({reason}); check database_url."
        ) from exc
    if not current:
        raise click.ClickException(
            f"The database at {url} is not set up: run `locator init` (or `locator migrate`) first."
        )
    return engine


@contextmanager
def _failed_before_run(engine: Engine, source: str) -> Iterator[None]:
    """Record a failure of the steps before run_import as a failed run, and say it plainly."""
    try:
        with failures_recorded(engine, source):
            yield
    except ImportError_ as exc:
        raise click.ClickException(f"Import failed, previous data kept: {exc}") from exc


def _report(run: Callable[[], ImportReport]) -> None:
    try:
        report: ImportReport = run()
    except ImportError_ as exc:
        raise click.ClickException(f"Import failed, previous data kept: {exc}") from exc
    click.echo(report.summary())
    if report.refresh_skipped:
        # The rows were stored, but the refresh asked for did not happen: a script must know.
        raise click.ClickException("The full refresh was not applied (see above).")


# -- meetings ------------------------------------------------------------------------------

_FILE = click.option(
    "--file",
    "path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A saved answer to import instead of fetching.",
)
_LIVE = click.option("--live", is_flag=True, help="Fetch every configured source (network).")


def _progress(count: int) -> None:
    if count % 1000 == 0:
        click.echo(f"  … {count} rows read", err=True)


def _one_mode(path: Path | None, live: bool, extra: bool = False) -> None:
    if (path is not None) + live + extra != 1:
        raise click.UsageError("Choose exactly one of --file PATH or --live.")


@import_group.command("bmlt")
@_FILE
@_LIVE
@click.option("--server", default="", help="Root server a --file came from (if it does not say).")
@click.option(
    "--near", default="", help="Refresh one area through the aggregator: a ZIP or City, ST."
)
@click.option("--radius", default=25.0, show_default=True, help="Radius of --near, in miles.")
@with_appcontext
def import_bmlt(path: Path | None, live: bool, server: str, near: str, radius: float) -> None:
    """Import Narcotics Anonymous meetings from BMLT root servers."""
    from flask import current_app

    from locator.places.geo import to_km
    from scrapers import meeting_import

    _one_mode(path, live, bool(near))
    engine, config = _migrated_engine(), current_app.config
    if path is not None:
        _report(lambda: meeting_import.import_bmlt_file(engine, path, server, progress=_progress))
    elif live:
        _locked("bmlt", lambda: meeting_import.import_bmlt_live(engine, config, click.echo))
    else:
        try:
            place = current_app.extensions["geocoder"].locate(near)
        except LocatorError as exc:
            raise click.ClickException(str(exc)) from exc
        click.echo(f"Refreshing NA meetings within {radius:g} mi of {place.label}")
        _report(
            lambda: meeting_import.import_bmlt_area(
                engine, config, place.point, to_km(radius, "mi")
            )
        )


@import_group.command("meeting-guide")
@_FILE
@_LIVE
@click.option("--feed-url", default="", help="Where a --file came from (shown as its source).")
@click.option("--fellowship", default="AA", show_default=True, help="Fellowship of a --file.")
@with_appcontext
def import_meeting_guide(path: Path | None, live: bool, feed_url: str, fellowship: str) -> None:
    """Import Meeting Guide JSON feeds (AA intergroups, Recovery Dharma, ...)."""
    from flask import current_app

    from scrapers import meeting_import

    _one_mode(path, live)
    engine = _migrated_engine()
    if path is not None:
        origin = feed_url or path.resolve().as_uri()
        _report(
            lambda: meeting_import.import_meeting_guide_file(
                engine, path, origin, fellowship, progress=_progress
            )
        )
    else:
        _locked(
            "meeting-guide",
            lambda: meeting_import.import_meeting_guide_live(
                engine, current_app.config, click.echo
            ),
        )


@import_group.command("smart")
@_FILE
@_LIVE
@with_appcontext
def import_smart(path: Path | None, live: bool) -> None:
    """Import SMART Recovery meetings: an operator's CSV, or the public pages (if enabled)."""
    from flask import current_app

    from scrapers import meeting_import

    _one_mode(path, live)
    engine = _migrated_engine()
    if path is not None:
        _report(lambda: meeting_import.import_smart_file(engine, path, progress=_progress))
    else:
        _locked(
            "smart",
            lambda: meeting_import.import_smart_live(engine, current_app.config, click.echo),
        )
