"""One facility's page: everything the source says about it, and where that came from."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import Blueprint, abort, render_template
from flask_babel import gettext
from sqlalchemy import select
from sqlmodel import Session, col

from locator.db import get_session
from locator.errors import N_
from locator.models import Facility, FacilityService, ServiceCode
from locator.taxonomy import CATEGORY_ORDER

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
        codes=codes,
        services=service_groups(session=session, codes=codes, unmapped=facility.unmapped_services),
    )


def facility_codes(*, session: Session, facility_id: int) -> frozenset[str]:
    """Return the service codes one facility offers."""
    query = select(col(FacilityService.code)).where(col(FacilityService.facility_id) == facility_id)
    return frozenset(session.scalars(query))


def service_groups(
    *, session: Session, codes: frozenset[str], unmapped: list[Any]
) -> list[tuple[str, list[str]]]:
    """Return (category name, service names) pairs; current codebook wording wins.

    Names the codebooks do not know are shown as the source wrote them, under their category.
    """
    rows = session.scalars(select(ServiceCode).order_by(col(ServiceCode.vintage)))
    by_code: dict[str, ServiceCode] = {}
    category_names: dict[str, str] = {}
    for row in rows:
        if row.vintage == "N-SUMHSS" or row.code not in by_code:
            by_code[row.code] = row
        category_names.setdefault(row.category_code, row.category_name)
    grouped: dict[str, set[str]] = defaultdict(set)
    for code in codes:
        found = by_code.get(code)
        grouped[found.category_code if found else "OTHER"].add(found.name if found else code)
    for item in unmapped:
        grouped[str(item.get("category") or "OTHER")].add(str(item.get("name")))
    order = {code: index for index, code in enumerate(CATEGORY_ORDER)}
    return [
        (category_names.get(category, N_("Other services")), sorted(names, key=str.lower))
        for category, names in sorted(
            grouped.items(), key=lambda kv: (order.get(kv[0], 999), kv[0])
        )
    ]
