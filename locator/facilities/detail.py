"""What one facility page shows beyond its row: its codes, services by category, its sources."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from locator.errors import N_
from locator.facilities.taxonomy import CATEGORY_ORDER
from locator.models import FacilityService, FacilitySource, ServiceCode


def facility_codes(*, session: Session, facility_id: int) -> frozenset[str]:
    """Return the service codes one facility offers."""
    query = select(col(FacilityService.code)).where(col(FacilityService.facility_id) == facility_id)
    return frozenset(session.scalars(query))


def facility_sources(*, session: Session, facility_id: int) -> list[FacilitySource]:
    """Return what each source said of a facility: sources that still list it first, newest
    first."""
    query = select(FacilitySource).where(col(FacilitySource.facility_id) == facility_id)
    found = session.scalars(query).all()
    return sorted(found, key=lambda c: (not c.active, -c.as_of.toordinal(), c.source))


def service_groups(
    *, session: Session, codes: frozenset[str], unmapped: list[Any]
) -> list[tuple[str, list[str]]]:
    """Return (category name, service names) pairs; current codebook wording wins.

    Names the codebooks do not know are shown as the source wrote them, under their category.
    """
    rows = sorted(session.scalars(select(ServiceCode)), key=_vintage_rank)
    by_code: dict[str, ServiceCode] = {}
    category_names: dict[str, str] = {}
    for row in rows:
        by_code.setdefault(row.code, row)
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


def _vintage_rank(row: ServiceCode) -> tuple[int, int]:
    """Order codebooks newest first: SAMHSA's published N-SUMHSS workbooks (latest year
    first), then the curated N-SUMHSS list, then the 2018 reference."""
    year = row.vintage.removeprefix("nsumhss-")
    if year != row.vintage and year.isdigit():
        return (0, -int(year))
    return (1 if row.vintage == "N-SUMHSS" else 2, 0)
