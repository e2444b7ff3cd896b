"""One facility's page: everything the source says about it, and where that came from."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_babel import gettext

from locator.facilities.detail import facility_codes, facility_sources, service_groups
from locator.models import Facility
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
    return render_template(
        "facility.html",
        facility=facility,
        contributions=facility_sources(session=session, facility_id=facility_id),
        codes=codes,
        services=service_groups(session=session, codes=codes, unmapped=facility.unmapped_services),
    )
