"""Kratom-law change review on the web: the same accept and reject as `locator laws review`.

Both call locator/laws/review.py, so a proposal accepted here applies the same checked changes,
sets the same verified date and writes the same history as from the command line. Each
decision is also written to the audit log, in the same transaction.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from locator.errors import LocatorError
from locator.laws.review import (
    EDITABLE,
    ReviewError,
    accept,
    get_proposal,
    list_proposals,
    parse_changes,
    reject,
)
from locator.laws.status import FEDERAL_STATUSES
from locator.models import LawChangeProposal
from locator.web.admin_auth import audit, require_admin
from locator.web.session import get_session

bp = Blueprint("admin_laws", __name__, url_prefix="/admin/laws")
bp.before_request(require_admin)


@bp.get("")
def proposals() -> str:
    """List pending proposals (all of them with ?all=1), oldest first."""
    show_all = request.args.get("all") == "1"
    found = list_proposals(session=get_session(), status=None if show_all else "pending")
    return render_template("admin_laws.html", proposals=found, show_all=show_all)


@bp.get("/<id:proposal_id>")
def proposal(proposal_id: int) -> str:
    """Show one proposal, its evidence and diff, with the accept and reject forms."""
    return _page(_proposal(proposal_id))


def _proposal(proposal_id: int) -> LawChangeProposal:
    try:
        return get_proposal(session=get_session(), proposal_id=proposal_id)
    except LocatorError:
        abort(404, gettext("There is no law change proposal with that number."))


def _page(found: LawChangeProposal, error: str = "") -> str:
    editable = {k: v for k, v in found.proposed.items() if k in EDITABLE}
    suggested = "\n".join(f"{k}={'' if v is None else v}" for k, v in editable.items())
    return render_template(
        "admin_law.html",
        proposal=found,
        error=error,
        editable=EDITABLE,
        federal_statuses=FEDERAL_STATUSES,
        suggested=request.form.get("changes", suggested),
        today=date.today().isoformat(),
    )


@bp.post("/<id:proposal_id>/accept")
def accept_proposal(proposal_id: int) -> Response | tuple[str, int]:
    """Accept a proposal with the reviewer's changes, like `laws review --accept`."""
    found = _proposal(proposal_id)
    form = request.form
    db = get_session()
    try:
        changes = parse_changes(line for line in form.get("changes", "").splitlines() if line)
        reviewed_on = _reviewed_on(form.get("reviewed_on", ""))
        audit(
            "law_accept",
            f"proposal {proposal_id}",
            "; ".join(f"{k}={v}" for k, v in changes.items()),
        )
        history = accept(
            session=db,
            proposal_id=proposal_id,
            changes=changes,
            reviewed_on=reviewed_on,
            state=form.get("state", "").strip() or None,
            note=form.get("note", "").strip(),
            federal_status=form.get("federal_status") or None,
        )
    except LocatorError as exc:
        db.rollback()
        return _page(found, str(exc)), 400
    where = f"; {history.state} verified on {reviewed_on.isoformat()}" if history else ""
    flash(f"Accepted proposal {proposal_id}{where}.")
    return redirect(url_for("admin_laws.proposals"))


@bp.post("/<id:proposal_id>/reject")
def reject_proposal(proposal_id: int) -> Response | tuple[str, int]:
    """Reject a proposal; the law row stays as it was."""
    found = _proposal(proposal_id)
    db = get_session()
    note = request.form.get("note", "").strip()
    try:
        audit("law_reject", f"proposal {proposal_id}", note)
        reject(session=db, proposal_id=proposal_id, note=note)
    except LocatorError as exc:
        db.rollback()
        return _page(found, str(exc)), 400
    flash(f"Rejected proposal {proposal_id}; nothing changed.")
    return redirect(url_for("admin_laws.proposals"))


def _reviewed_on(raw: str) -> date:
    if not raw.strip():
        return date.today()
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ReviewError(f"The review date must look like 2026-08-28, not “{raw}”.") from None
