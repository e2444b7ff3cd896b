"""Test factory: facilities written through the real import pipeline into a test database.

These rows exist only in the temporary database of one test. Their names say "Test site"
so nobody could take them for a listing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.models import Facility, FacilityService
from scrapers.base import run_import
from scrapers.facilities import FacilityRecord, facility_key
from scrapers.facility_writer import FacilityWriter

TEST_SOURCE = "test"


def site(
    name: str,
    lat: float,
    lon: float,
    *,
    state: str = "VA",
    city: str = "Testville",
    services: Iterable[str] | None = (),
    types: Iterable[str] = ("SA",),
    street: str = "1 Test Street",
    zip_code: str = "00000",
    phone: str = "",
) -> FacilityRecord:
    """Return a test facility record at (lat, lon)."""
    return FacilityRecord(
        key=facility_key(name, street, city, state, zip_code),
        name=f"Test site {name}",
        state=state,
        street1=street,
        city=city,
        zip=zip_code,
        phone=phone,
        latitude=lat,
        longitude=lon,
        facility_types=frozenset(types),
        services=None if services is None else frozenset(services),
    )


def add_sites(
    engine: Engine,
    records: Iterable[FacilityRecord],
    *,
    full_refresh: bool = False,
    seen_on: date = date(2026, 11, 1),
) -> None:
    """Store test facilities through the real writer."""
    writer = FacilityWriter(source=TEST_SOURCE, source_note="Test rows for one test.")
    run_import(
        engine,
        source=TEST_SOURCE,
        items=list(records),
        writer=writer,
        seen_on=seen_on,
        full_refresh=full_refresh,
    )


def store_snapshot(engine: Engine) -> list[list[tuple[Any, ...]]]:
    """Return every facility and service row, to show a failed run changed nothing."""
    with Session(engine) as session:
        facilities = [
            (f.source_key, f.name, f.phone, f.active, f.last_seen, f.content_hash)
            for f in session.scalars(select(Facility).order_by(col(Facility.source_key)))
        ]
        services = session.execute(
            select(col(FacilityService.facility_id), col(FacilityService.code)).order_by(
                col(FacilityService.facility_id), col(FacilityService.code)
            )
        ).all()
    return [facilities, [tuple(s) for s in services]]


def codes_not_copied(engine: Engine) -> list[tuple[int | None, str, str]]:
    """Return (id, service_codes, its rows' codes) of each facility whose copy of its codes
    differs from its FacilityService rows (migration 0016): an empty list when all agree."""
    with Session(engine) as session:
        rows: dict[int, list[str]] = {}
        for facility_id, code in session.execute(
            select(col(FacilityService.facility_id), col(FacilityService.code))
        ):
            rows.setdefault(facility_id, []).append(code)
        wrong = []
        for facility in session.scalars(select(Facility)):
            stored = ",".join(sorted(rows.get(facility.id or 0, ())))
            if facility.service_codes != stored:
                wrong.append((facility.id, facility.service_codes, stored))
        return wrong
