"""Importer commands of `locator`: init, seed, import <source>, snapshot building.

`locator import <source>` is driven by the source registry (scrapers/registry.py): the choice
of --file or --live, the check that the store is migrated, the job lock of a live run and the
printed report are one path (_import, _import_file, _import_live) for every source. A source
whose command needs options of its own (samhsa, bmlt, meeting-guide) keeps a hand-written
command here that passes them on; every other source gets a generated one (source_command).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col

from locator.db import migrate, schema_is_current
from locator.errors import LocatorError
from locator.models import LawChangeProposal, StateLaw
from locator.web.session import current_settings, get_engine
from scrapers import samhsa_national, snapshot
from scrapers.base import ImportError_, ImportReport
from scrapers.files import FileOptions
from scrapers.meeting_snapshot import seed_meetings
from scrapers.registry import SOURCES, Source, source
from scrapers.scheduler import run_at_import_priority


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
@with_appcontext
def import_group() -> None:
    """Import a source into the store (from a file, or live where the source allows)."""
    run_at_import_priority(current_settings().import_niceness)


@import_group.command("samhsa", help=source("samhsa").description)
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
    _one_mode(path, live)
    if states and not live:
        raise click.UsageError("--state goes with --live.")
    if force and not (full_refresh or live):
        raise click.UsageError("--force goes with --full-refresh or --live.")
    if path is None:
        _import_samhsa_live(states, force)
    else:
        _import_file(
            source("samhsa"), path, vintage=vintage, full_refresh=full_refresh, force=force
        )


def _import_samhsa_live(states: tuple[str, ...], force: bool) -> None:
    """Sweep the API under the samhsa job's lock, with --state, --force and a progress bar."""
    from scrapers import samhsa_api

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

        _locked(
            source("samhsa"),
            lambda: samhsa_api.import_live(
                engine, config, states=codes, on_sweep=swept, force=force
            ),
        )


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


def _import(src: Source, path: Path | None, live: bool, **values: Any) -> None:
    """Run ``locator import <src>``: exactly one of --file and --live, then that import."""
    _one_mode(path, live)
    if path is not None:
        _import_file(src, path, **values)
    else:
        _import_live(src)


def _import_file(src: Source, path: Path, **values: Any) -> None:
    """Import a saved file of ``src`` (``values``: its command's own options, by name)."""
    assert src.file is not None, f"{src.name} has no --file"  # the command offers none
    read_file = src.file
    engine = _migrated_engine()
    options = FileOptions(
        config=current_app.config, values=values, notify=_to_stderr, progress=_progress
    )
    _report(lambda: read_file(engine, path, options))


def _import_live(src: Source) -> None:
    """Fetch ``src`` live under its scheduler job's lock, saying what it fetches."""
    assert src.live is not None, f"{src.name} has no --live"  # the command offers none
    fetch = src.live
    engine = _migrated_engine()
    _locked(src, lambda: fetch(engine, current_app.config, click.echo))


def _locked(src: Source, run: Callable[[], ImportReport]) -> None:
    """Run a live import under its scheduler job's lock: never beside a scheduled run.

    The caller has checked the schema (_migrated_engine): the lock lives in the store.
    """
    from scrapers.locks import JobBusyError, job_lock

    try:
        with job_lock(get_engine(), src.job, hours=current_settings().job_lock_hours):
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


def _to_stderr(message: str) -> None:
    click.echo(message, err=True)


def _progress(count: int) -> None:
    if count % 1000 == 0:
        click.echo(f"  … {count} rows read", err=True)


def _one_mode(path: Path | None, live: bool, extra: bool = False) -> None:
    if (path is not None) + live + extra != 1:
        raise click.UsageError("Choose exactly one of --file PATH or --live.")


@import_group.command("bmlt", help=source("bmlt").description)
@_FILE
@_LIVE
@click.option("--server", default="", help="Root server a --file came from (if it does not say).")
@click.option(
    "--near", default="", help="Refresh one area through the aggregator: a ZIP or City, ST."
)
@click.option("--radius", default=25.0, show_default=True, help="Radius of --near, in miles.")
@with_appcontext
def import_bmlt(path: Path | None, live: bool, server: str, near: str, radius: float) -> None:
    if not near:
        _import(source("bmlt"), path, live, server=server)
        return
    from locator.places.geo import to_km
    from scrapers import meeting_import

    _one_mode(path, live, extra=True)
    engine = _migrated_engine()
    try:
        place = current_app.extensions["geocoder"].locate(near)
    except LocatorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Refreshing NA meetings within {radius:g} mi of {place.label}")
    _report(
        lambda: meeting_import.import_bmlt_area(
            engine, current_app.config, place.point, to_km(radius, "mi")
        )
    )


@import_group.command("meeting-guide", help=source("meeting-guide").description)
@_FILE
@_LIVE
@click.option("--feed-url", default="", help="Where a --file came from (shown as its source).")
@click.option("--fellowship", default="AA", show_default=True, help="Fellowship of a --file.")
@with_appcontext
def import_meeting_guide(path: Path | None, live: bool, feed_url: str, fellowship: str) -> None:
    _import(source("meeting-guide"), path, live, feed_url=feed_url, fellowship=fellowship)


def source_command(src: Source) -> click.Command:
    """Build ``locator import <src>`` for a source with no options beyond --file and --live."""

    def command(path: Path | None = None, live: bool = False) -> None:
        _import(src, path, live)

    built = with_appcontext(command)
    if src.live is not None:
        built = _LIVE(built)
    if src.file is not None:
        built = _FILE(built)
    return click.command(src.name, help=src.description)(built)


def _add_source_commands() -> None:
    """Give every file- or live-capable source without a hand-written command its own."""
    for src in SOURCES:
        if (src.file or src.live) and src.name not in import_group.commands:
            import_group.add_command(source_command(src))


_add_source_commands()
