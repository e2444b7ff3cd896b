"""Meeting time zones: from the source, else a real place, else the zone its group shares.

A zone the source gives must be an IANA name (else the row is rejected with the reason). A
missing one is inferred offline from a real place: coordinates that are not a known
placeholder (data/meetings/placeholder_coordinates.json: BMLT servers park online meetings at
NA World Services in Chatsworth, CA) through timezonefinder, else the postal code or city (the
embedded gazetteer); else from the zone at least 80 % of its service body's, else its
server's or feed's, meetings share (``fill_group_zones``). All are marked
``time_zone_inferred``. A meeting with none of these keeps an empty zone and is counted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING, Any

from locator.meetings.times import zone
from locator.paths import DATA_DIR
from locator.places.gazetteer import embedded_gazetteer
from locator.places.states import find_state

if TYPE_CHECKING:
    from scrapers.meetings import MeetingRecord

NO_TIME_ZONE = "kept without a time zone (no zone, place, or zone shared by its group)"
# A group's meetings "share" a zone when at least this share of those with one agree.
GROUP_ZONE_SHARE = 0.8
PLACEHOLDER_DEGREES = 0.001  # about 100 m: a placeholder is matched to 3 decimals


@cache
def _finder() -> Any:
    from timezonefinder import TimezoneFinder  # deferred: loads its polygon index

    return TimezoneFinder()


@cache
def placeholder_points() -> tuple[tuple[float, float, str], ...]:
    """Return the coordinates known to be placeholders, not places: (lat, lon, what)."""
    path = DATA_DIR / "meetings" / "placeholder_coordinates.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["placeholders"]
    return tuple((float(r["latitude"]), float(r["longitude"]), str(r["what"])) for r in rows)


def is_placeholder(latitude: float | None, longitude: float | None) -> bool:
    """Tell whether coordinates are a known placeholder (e.g. NA World Services' office)."""
    if latitude is None or longitude is None:
        return False
    return any(
        abs(latitude - lat) < PLACEHOLDER_DEGREES and abs(longitude - lon) < PLACEHOLDER_DEGREES
        for lat, lon, _what in placeholder_points()
    )


def infer_time_zone(
    *,
    latitude: float | None,
    longitude: float | None,
    postal_code: str = "",
    city: str = "",
    state: str = "",
) -> str:
    """Return the IANA zone of a place from embedded data (no network), or ''.

    Placeholder coordinates say nothing about the place, so they are not read.
    """
    if latitude is not None and longitude is not None and not is_placeholder(latitude, longitude):
        found = _finder().timezone_at(lat=latitude, lng=longitude)
        if found and zone(found):
            return str(found)
    gazetteer = embedded_gazetteer()
    if postal_code[:5].isascii() and postal_code[:5].isdigit():
        place = gazetteer.zip(postal_code[:5])
        if place is not None and place.time_zone:
            return place.time_zone
    known = find_state(state) if state else None
    if city and known is not None:
        place = gazetteer.city(city, known)
        if place is not None and place.time_zone:
            return place.time_zone
    return ""


def with_time_zone(record: MeetingRecord) -> MeetingRecord:
    """Fill an empty time zone from the meeting's place and mark it inferred.

    An online meeting parked at placeholder coordinates loses them (they are no place).

    Raises:
        ValueError: the source gave a zone that is not an IANA zone name (the row's reason).
    """
    if record.time_zone:
        if zone(record.time_zone) is None:
            raise ValueError(f"time zone {record.time_zone[:40]!r} is not an IANA zone name")
        return record
    if record.attendance == "online" and is_placeholder(record.latitude, record.longitude):
        record = replace(record, latitude=None, longitude=None)
    found = infer_time_zone(
        latitude=record.latitude,
        longitude=record.longitude,
        postal_code=record.postal_code,
        city=record.city,
        state=record.state,
    )
    return replace(record, time_zone=found, time_zone_inferred=bool(found))


def shared_zone(records: Iterable[MeetingRecord]) -> str:
    """Return the zone at least GROUP_ZONE_SHARE of these records have, or ''."""
    zones = Counter(r.time_zone for r in records if r.time_zone)
    if not zones:
        return ""
    name, count = zones.most_common(1)[0]
    return name if count >= GROUP_ZONE_SHARE * sum(zones.values()) else ""


def fill_group_zones(found: list[tuple[MeetingRecord, str]]) -> Iterator[MeetingRecord]:
    """Give meetings without a zone the one their group shares: service body, else server.

    ``found`` pairs each record of one server or feed with its group (a service body id,
    or '' when the source has none). Most meetings of a server share its zone; a server
    spanning zones (no zone held by 80 %) gives none, and its zoneless meetings stay unknown.
    """
    if all(record.time_zone for record, _group in found):
        yield from (record for record, _group in found)
        return
    groups: dict[str, list[MeetingRecord]] = {}
    for record, group in found:
        groups.setdefault(group, []).append(record)
    by_group = {group: shared_zone(records) for group, records in groups.items() if group}
    server = shared_zone(record for record, _group in found)
    for record, group in found:
        if record.time_zone:
            yield record
            continue
        name = by_group.get(group) or server
        yield replace(record, time_zone=name, time_zone_inferred=bool(name))
