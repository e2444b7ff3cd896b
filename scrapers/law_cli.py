"""`locator laws`: check kratom-law sources for change now, and review what was found."""

from __future__ import annotations

from datetime import date, datetime

import click
from flask.cli import with_appcontext
from sqlmodel import Session

from locator.errors import LocatorError
from locator.laws.review import accept, get_proposal, list_proposals, parse_changes, reject
from locator.models import LawChangeProposal
from locator.web.session import current_settings, get_engine
from scrapers.http import client_from_config
from scrapers.kratom_law import check_sources
from scrapers.locks import job_lock
from scrapers.registry import source


@click.group("laws")
def laws_group() -> None:
    """Kratom-law change detection and review."""


@laws_group.command("check")
@with_appcontext
def check_command() -> None:
    """Check the watched sources now (under the scheduler's "laws" lock)."""
    settings = current_settings()
    client = client_from_config(settings, min_interval=settings.law_request_interval_seconds)
    engine = get_engine()
    try:
        with job_lock(engine, source("laws").job, hours=settings.job_lock_hours):
            report = check_sources(engine, client, settings)
    except LocatorError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(report.summary())


@laws_group.command("review")
@click.option("--all", "show_all", is_flag=True, help="List reviewed proposals too.")
@click.option("--show", "show_id", type=int, metavar="ID", help="Show one proposal and its diff.")
@click.option("--accept", "accept_id", type=int, metavar="ID", help="Accept a proposal.")
@click.option("--reject", "reject_id", type=int, metavar="ID", help="Reject a proposal.")
@click.option(
    "--set",
    "changes",
    multiple=True,
    metavar="FIELD=VALUE",
    help="With --accept: a field to change, e.g. status=banned or expires_on=2027-08-27.",
)
@click.option("--state", default=None, help="With --accept: the state the change applies to.")
@click.option("--note", default="", help="Why (kept with the proposal and the history).")
@click.option(
    "--federal-status",
    default=None,
    help="With --accept of a Federal Register proposal: its status, e.g. in_effect.",
)
@click.option(
    "--reviewed-on",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Verified date to record (default: today).",
)
@with_appcontext
def review_command(
    show_all: bool,
    show_id: int | None,
    accept_id: int | None,
    reject_id: int | None,
    changes: tuple[str, ...],
    state: str | None,
    note: str,
    federal_status: str | None,
    reviewed_on: datetime | None,
) -> None:
    """List pending proposals, show one with its diff, or accept or reject one.

    Nothing reaches the published law rows without this command: accepting sets the row's
    verified date and keeps its history.
    """
    chosen = [x for x in (show_id, accept_id, reject_id) if x is not None]
    if len(chosen) > 1:
        raise click.UsageError("Use one of --show, --accept and --reject at a time.")
    if changes and accept_id is None:
        raise click.UsageError("--set only goes with --accept.")
    with Session(get_engine()) as session:
        try:
            if show_id is not None:
                _show(get_proposal(session=session, proposal_id=show_id))
            elif accept_id is not None:
                on = reviewed_on.date() if reviewed_on else date.today()
                history = accept(
                    session=session,
                    proposal_id=accept_id,
                    changes=parse_changes(changes),
                    reviewed_on=on,
                    state=state,
                    note=note,
                    federal_status=federal_status,
                )
                where = f"; {history.state} verified on {on.isoformat()}" if history else ""
                click.echo(f"Accepted proposal {accept_id}{where}.")
            elif reject_id is not None:
                reject(session=session, proposal_id=reject_id, note=note)
                click.echo(f"Rejected proposal {reject_id}; nothing changed.")
            else:
                _list(list_proposals(session=session, status=None if show_all else "pending"))
        except LocatorError as exc:
            raise click.ClickException(str(exc)) from exc


def _list(proposals: list[LawChangeProposal]) -> None:
    if not proposals:
        click.echo("No proposal to review.")
        return
    for p in proposals:
        found = p.found_at.strftime("%Y-%m-%d")
        click.echo(f"#{p.id} [{p.status}] {found} {p.source} {p.state or '--'}: {p.summary}")


def _show(p: LawChangeProposal) -> None:
    click.echo(f"Proposal #{p.id} [{p.status}] from {p.source}, found {p.found_at:%Y-%m-%d %H:%M}")
    click.echo(f"State: {p.state or 'not tied to one state'}")
    click.echo(f"Title: {p.title}")
    if p.url:
        click.echo(f"Evidence: {p.url}")
    click.echo(f"Fingerprint: {p.previous_fingerprint or '-'} -> {p.fingerprint}")
    click.echo(p.summary)
    if p.proposed:
        click.echo(f"Proposed: {p.proposed}")
    if p.diff:
        click.echo("--- diff ---")
        click.echo(p.diff)
    if p.review_note:
        click.echo(f"Review note: {p.review_note}")
