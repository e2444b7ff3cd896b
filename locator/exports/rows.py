"""Rows for the exports: every facility a search matches, or the entries of a referral list.

A search export walks the same ranked query as the result pages (locator/facilities/search.py) in
batches, so the rows come out in the same order with the same distances, and only one batch
is in memory at a time. The columns the result page does not need (county, source key and
URL, first seen) are read for each batch by id.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from locator.admin.confirmations import LastConfirmation, latest_for, recently_confirmed_first
from locator.exports.confirmation_text import outcome_words
from locator.exports.referrals import Entry
from locator.exports.writers import ExportRow
from locator.facilities.search import FacilityHit, FacilityQuery, find_nearby
from locator.facilities.taxonomy import CATEGORY_ORDER, split_codes
from locator.meetings.times import WEEKDAYS, clock_text
from locator.meetings.types import fellowship_name
from locator.models import Facility, Meeting, ServiceCode
from locator.places.geo import Point, Unit, from_km, haversine_km_raw

BATCH = 500
UrlFor = Callable[[str, int], str]  # (kind, id) -> absolute URL of its page


@dataclass(frozen=True, slots=True)
class _Extra:
    source_key: str
    source_url: str
    county: str
    first_seen: Any


@dataclass(frozen=True, slots=True)
class Codebook:
    """Every service code's name and category, read once an export."""

    names: dict[str, str]
    categories: dict[str, tuple[str, str]]  # code -> (category code, category name)

    def groups(self, codes: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
        """Return (category name, service names) in the facility page's category order."""
        grouped: dict[tuple[str, str], list[str]] = {}
        for code in codes:
            key = self.categories.get(code, ("OTHER", "Other services"))
            grouped.setdefault(key, []).append(self.names.get(code, code))
        ordered = sorted(grouped.items(), key=lambda kv: (_ORDER.get(kv[0][0], 999), kv[0][0]))
        return tuple((name, tuple(sorted(items, key=str.lower))) for (_, name), items in ordered)


_ORDER = {code: index for index, code in enumerate(CATEGORY_ORDER)}


def codebook(*, session: Session) -> Codebook:
    """Return every SAMHSA service code's name and category; the current codebook wins."""
    names: dict[str, str] = {}
    categories: dict[str, tuple[str, str]] = {}
    rows = session.execute(
        select(
            col(ServiceCode.vintage),
            col(ServiceCode.code),
            col(ServiceCode.name),
            col(ServiceCode.category_code),
            col(ServiceCode.category_name),
        ).order_by(col(ServiceCode.vintage))
    )
    for vintage, code, name, category_code, category_name in rows:
        if vintage == "N-SUMHSS" or code not in names:
            names[code] = name
            categories[code] = (category_code, category_name)
    return Codebook(names, categories)


def search_rows(
    *,
    session: Session,
    query: FacilityQuery,
    url_for: UrlFor,
    batch: int = BATCH,
    only_page: int | None = None,
) -> Iterator[ExportRow]:
    """Yield every facility ``query`` matches, nearest first, one batch in memory at a time.

    With ``only_page`` only that page of ``batch`` rows is yielded (the HSDS listing).
    """
    names = codebook(session=session)
    page_number = only_page or 1
    position = (page_number - 1) * batch
    today = datetime.now(UTC).date()
    while True:
        page = find_nearby(
            session=session,
            query=replace(query, page=page_number, per_page=batch),
            with_codes=True,
        )
        ids = [hit.id for hit in page.hits]
        extras = _extras(session, ids)
        latest = latest_for(session=session, ids=ids)
        for hit in recently_confirmed_first(page.hits, latest, today):
            position += 1
            row = _facility_row(position, hit, extras[hit.id], names, query.unit, url_for)
            yield with_confirmation(row, latest.get(hit.id), names)
        if len(page.hits) < batch or only_page is not None:
            return
        page_number += 1


def _extras(session: Session, ids: list[int]) -> dict[int, _Extra]:
    if not ids:
        return {}
    rows = session.execute(
        select(
            col(Facility.id),
            col(Facility.source_key),
            col(Facility.source_url),
            col(Facility.county),
            col(Facility.first_seen),
        ).where(col(Facility.id).in_(ids))
    )
    return {row[0]: _Extra(*row[1:]) for row in rows}


def _facility_row(
    position: int,
    hit: FacilityHit,
    extra: _Extra,
    book: Codebook,
    unit: str,
    url_for: UrlFor,
) -> ExportRow:
    codes = hit.codes  # sorted
    names = book.names
    return ExportRow(
        position=position,
        kind="facility",
        id=hit.id,
        name=hit.name,
        name2=hit.name2,
        street1=hit.street1,
        street2=hit.street2,
        city=hit.city,
        state=hit.state,
        zip=hit.zip,
        county=extra.county,
        phone=hit.phone,
        intake_phone=hit.intake_phone,
        hotline_phone=hit.hotline_phone,
        website=hit.website,
        latitude=hit.latitude,
        longitude=hit.longitude,
        location_approximate=hit.location_approximate,
        distance=None if hit.distance is None else round(hit.distance, 2),
        unit=unit if hit.distance is not None else "",
        facility_types=", ".join(hit.facility_types),
        categories="; ".join(hit.category_labels()),
        service_codes=", ".join(codes),
        service_names="; ".join(names.get(code, code) for code in codes),
        services=tuple((code, names.get(code, code)) for code in codes),
        service_groups=book.groups(codes),
        source=hit.source,
        source_key=extra.source_key,
        source_note=hit.source_note,
        source_url=extra.source_url,
        first_seen=extra.first_seen,
        last_seen=hit.last_seen,
        url=url_for("facility", hit.id),
    )


def referral_rows(
    *,
    session: Session,
    entries: Iterable[Entry],
    origin: Point | None,
    unit: Unit,
    url_for: UrlFor,
) -> Iterator[ExportRow]:
    """Yield the list's entries in order; an entry whose record is gone is skipped."""
    names = codebook(session=session)
    position = 0
    for entry in entries:
        row = (
            _listed_facility(session, entry, names, url_for)
            if entry.kind == "f"
            else _listed_meeting(session, entry, url_for)
        )
        if row is None:
            continue
        position += 1
        row.position = position
        row.note = entry.note
        if origin is not None and row.latitude is not None and row.longitude is not None:
            km = haversine_km_raw(origin.lat, origin.lon, row.latitude, row.longitude)
            row.distance, row.unit = round(from_km(km, unit), 2), unit
        yield row


def _listed_facility(
    session: Session, entry: Entry, names: Codebook, url_for: UrlFor
) -> ExportRow | None:
    facility = session.get(Facility, entry.id)
    if facility is None:
        return None
    hit = FacilityHit(
        **{
            name: getattr(facility, name)
            for name in FacilityHit.__slots__
            if name not in ("distance", "codes", "facility_types")
        },
        facility_types=tuple(t for t in facility.facility_types.split(",") if t),
        distance=None,
        codes=split_codes(facility.service_codes),
    )
    extra = _Extra(facility.source_key, facility.source_url, facility.county, facility.first_seen)
    row = _facility_row(0, hit, extra, names, "", url_for)
    row.active = facility.active
    latest = latest_for(session=session, ids=[entry.id]).get(entry.id)
    return with_confirmation(row, latest, names)


def with_confirmation(row: ExportRow, found: LastConfirmation | None, book: Codebook) -> ExportRow:
    """Fill the row's confirmation columns (English words; the PDF translates its own)."""
    if found is None:
        return row
    row.last_confirmation = found
    row.confirmed_on = found.called_on
    row.confirmation = outcome_words(found, _same, _plural)
    row.services_confirmed = "; ".join(book.names.get(c, c) for c in found.confirmed)
    return row


def _same(text: str) -> str:
    return text


def _plural(one: str, many: str, n: int) -> str:
    return one if n == 1 else many


def _listed_meeting(session: Session, entry: Entry, url_for: UrlFor) -> ExportRow | None:
    m = session.get(Meeting, entry.id)
    if m is None:
        return None
    return ExportRow(
        position=0,
        kind="meeting",
        id=entry.id,
        name=m.name,
        name2=m.location_name,
        street1=m.street,
        city=m.city,
        state=m.state,
        zip=m.postal_code,
        phone=m.online_phone,
        online_url=m.online_url,
        latitude=m.latitude,
        longitude=m.longitude,
        location_approximate=m.location_approximate,
        fellowship=fellowship_name(m.fellowship),
        schedule=meeting_schedule(m),
        time_zone=m.time_zone,
        attendance=m.attendance.replace("_", " "),
        formats="; ".join(m.format_names),
        active=m.active,
        source=m.source,
        source_key=m.source_key,
        source_note=m.source_note,
        source_url=m.source_url,
        first_seen=m.first_seen,
        last_seen=m.last_seen,
        url=url_for("meeting", entry.id),
    )


def meeting_schedule(m: Meeting) -> str:
    """Return 'Tuesdays 7:00 pm (America/New_York)' or the source's own schedule note."""
    if m.weekday is None or m.start_time is None:
        return m.schedule_note or "Schedule not listed by the source"
    zone = f" ({m.time_zone})" if m.time_zone else ""
    return f"{WEEKDAYS[m.weekday]}s {clock_text(m.start_time)}{zone}"


def generated_on() -> Any:
    """Return today's date in UTC (the date printed on a referral sheet)."""
    return datetime.now(UTC).date()


def facility_rows(*, session: Session, ids: Iterable[int], url_for: UrlFor) -> Iterator[ExportRow]:
    """Yield the facilities with these ids, in that order (a missing id is skipped)."""
    return referral_rows(
        session=session,
        entries=[Entry(kind="f", id=i) for i in ids],
        origin=None,
        unit="mi",
        url_for=url_for,
    )
