"""One facility's page: everything the source says about it, and where that came from."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, abort, render_template
from flask_babel import gettext

from locator.admin.confirmations import OUTCOMES, LastConfirmation, history
from locator.admin.corrections import active_corrections
from locator.exports.rows import codebook
from locator.facilities.detail import facility_codes, facility_sources, service_groups
from locator.models import Facility, PhoneConfirmation
from locator.web.admin_auth import signed_in_user
from locator.web.confirmations import confirmation_line
from locator.web.session import get_session

bp = Blueprint("facilities", __name__, url_prefix="/facilities")


@bp.get("/<id:facility_id>")
def detail(facility_id: int) -> str:
    """Show a facility with its services grouped by SAMHSA category, in a fixed order."""
    session = get_session()
    facility = session.get(Facility, facility_id)
    if facility is None:
        abort(
            404,
            gettext(
                "We could not find that facility. It may have been removed from the directory."
            ),
        )
    codes = facility_codes(session=session, facility_id=facility_id)
    calls = history(session=session, facility_id=facility_id)
    user = signed_in_user()
    return render_template(
        "facility.html",
        facility=facility,
        contributions=facility_sources(session=session, facility_id=facility_id),
        codes=codes,
        services=service_groups(session=session, codes=codes, unmapped=facility.unmapped_services),
        calls=calls,
        latest=confirmation_line(_latest(calls)),
        corrections=active_corrections(session=session, facility_ids=[facility_id]).get(
            facility_id, []
        ),
        call_form=_call_form(codes) if user is not None else None,
    )


def _latest(calls: list[PhoneConfirmation]) -> LastConfirmation | None:
    if not calls:
        return None
    c = calls[0]
    return LastConfirmation(c.called_on, c.outcome, c.wait_days, tuple(c.confirmed))


def _call_form(codes: frozenset[str]) -> dict[str, Any]:
    """What the coordinator's call form offers: outcomes, and the services to confirm."""
    names = codebook(session=get_session()).names
    return {
        "today": datetime.now(UTC).date().isoformat(),
        "outcomes": OUTCOMES,
        "services": sorted(((c, names.get(c, c)) for c in codes), key=lambda p: p[1].lower()),
    }
