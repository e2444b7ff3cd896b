"""Coordinators' pages: record a phone call on a facility, and see one's own recent exports.

Behind the same sign-in, CSRF check and audit log as the admin area (``require_admin`` lets a
coordinator reach only these pages). The call form itself is drawn on the facility page.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from locator.admin import accounts
from locator.admin.confirmations import check_call, record_call
from locator.facilities.detail import facility_codes
from locator.models import Facility
from locator.web.admin_auth import audit, require_admin
from locator.web.session import get_session

bp = Blueprint("calls", __name__, url_prefix="/admin")
bp.before_request(require_admin)

EXPORT_ACTIONS = ("export",)


@bp.post("/facilities/<id:facility_id>/calls")
def record(facility_id: int) -> Response:
    """Store a phone call on a facility and go back to its page."""
    session = get_session()
    facility = session.get(Facility, facility_id)
    if facility is None:
        abort(404, gettext("There is no facility with id %(id)s.", id=facility_id))
    form = request.form
    # A bad form raises BadQueryError: the error page says what to fix (400).
    call = check_call(
        called_on=form.get("called_on", ""),
        outcome=form.get("outcome", ""),
        wait_days=form.get("wait_days", ""),
        confirmed=form.getlist("confirmed"),
        note=form.get("note", ""),
        known_codes=facility_codes(session=session, facility_id=facility_id),
        today=datetime.now(UTC).date(),
    )
    record_call(session=session, facility=facility, call=call, username=g.admin.username)
    detail = f"{call.called_on.isoformat()} {call.outcome}"
    if call.confirmed:
        detail += " confirmed " + ",".join(call.confirmed)
    audit("phone_confirmation", f"facility {facility_id}", detail)
    session.commit()
    flash(gettext("Your call is recorded. Thank you."))
    return redirect(url_for("facilities.detail", facility_id=facility_id) + "#calls")


@bp.get("/mine")
def mine() -> str:
    """List the signed-in account's recent exports and referral lists, newest first."""
    rows = accounts.recent_actions(
        session=get_session(), username=g.admin.username, actions=EXPORT_ACTIONS
    )
    return render_template("coordinator_mine.html", rows=rows)
