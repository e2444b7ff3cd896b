"""Meeting records as importers produce them, the writer that stores them, and the shared rules.

Shared by the BMLT, Meeting Guide and SMART importers:

- one weekly schedule per row: a meeting held on several days becomes several records;
- a time zone comes from the source; a value that is not an IANA zone rejects its row. A
  missing one is inferred offline from a real place: coordinates that are not a known
  placeholder (data/meetings/placeholder_coordinates.json: BMLT servers park online meetings
  at NA World Services in Chatsworth, CA) through timezonefinder, else the postal code or
  city (the embedded gazetteer); else from the zone shared by the other meetings of its
  service body, else of its server or feed (``fill_group_zones``). All are marked
  ``time_zone_inferred``. A meeting with none of these is kept with an empty zone, counted in
  the import summary and listed on the meeting pages as "time zone not given";
- the same meeting listed by two servers or feeds is merged into the first record, which
  lists the others' keys (the rule: ``same_meeting``);
- attendance is in_person, hybrid, online or inactive (a temporarily closed venue with no
  online option); physical-access formats are dropped from meetings no one attends in person.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, time
from functools import cache
from typing import Any, ClassVar

from sqlalchemy import case, insert, select, update
from sqlmodel import Session, col

from locator.meetings.times import zone
from locator.models import Meeting
from locator.paths import DATA_DIR
from locator.places.gazetteer import embedded_gazetteer
from locator.places.geo import haversine_km_raw
from locator.places.spatial import index_columns
from locator.places.states import find_state
from locator.text import fold
from scrapers.base import Rejected
from scrapers.writers import KeyedRows

ATTENDANCE = ("in_person", "hybrid", "online", "inactive")
# Types that only make sense at a venue (tsml-ui's list): hidden on online-only meetings.
IN_PERSON_ONLY = frozenset({"BA", "BRK", "CAN", "CF", "AL-AN", "AL", "FF", "OUT", "SM", "X", "XB"})
MAX_KEY = 128
NO_TIME_ZONE = "kept without a time zone (no zone, place, or zone shared by its group)"
# A group's meetings "share" a zone when at least this share of those with one agree.
GROUP_ZONE_SHARE = 0.8
PLACEHOLDER_DEGREES = 0.001  # about 100 m: a placeholder is matched to 3 decimals


@dataclass(slots=True)
class MeetingRecord:
    """One weekly meeting as a source lists it, before it is stored."""

    key: str
    fellowship: str
    name: str
    weekday: int | None
    start_time: time | None
    source_url: str
    duration_minutes: int | None = None
    time_zone: str = ""
    time_zone_inferred: bool = False
    attendance: str = "in_person"
    location_name: str = ""
    street: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location_approximate: bool = False
    online_url: str = ""
    online_phone: str = ""
    formats: tuple[str, ...] = ()
    formats_original: tuple[str, ...] = ()
    format_names: tuple[str, ...] = ()
    notes: str = ""
    schedule_note: str = ""
    also_listed: tuple[str, ...] = ()

    @property
    def source_key(self) -> str:
        return self.key

    @property
    def import_notes(self) -> tuple[str, ...]:
        """What the import summary counts about this record (kept, but incomplete)."""
        return () if self.time_zone else (NO_TIME_ZONE,)

    def fingerprint(self) -> dict[str, Any]:
        data = asdict(self)
        data["start_time"] = self.start_time.isoformat() if self.start_time else None
        data["also_listed"] = sorted(self.also_listed)
        return data

    def to_json(self) -> dict[str, Any]:
        """Return the record as plain JSON values (snapshots, tests)."""
        data = self.fingerprint()
        for name in ("formats", "formats_original", "format_names", "also_listed"):
            data[name] = list(data[name])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MeetingRecord:
        """Read a record back from ``to_json``."""
        start = data.get("start_time")
        return cls(
            **{
                **data,
                "start_time": time.fromisoformat(start) if start else None,
                **{
                    name: tuple(data.get(name, ()))
                    for name in ("formats", "formats_original", "format_names", "also_listed")
                },
            }
        )


def stable_key(*parts: str) -> str:
    """Join key parts; a key longer than the column is replaced by its hash."""
    key = "#".join(parts)
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()


SAME_PLACE_KM = 0.1  # "the same place": venues within about 100 m
SIMILAR_NAME = 0.5  # share of name words two listings of one meeting have in common


def join_url(url: str) -> str:
    """Return a join link without its query (passwords, tracking) and case: the room."""
    text = url.strip().lower().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text.removeprefix("https://").removeprefix("http://").removeprefix("www.")


def similar_names(first: str, second: str) -> bool:
    """Tell whether two meeting names are alike: one holds the other, or most words agree."""
    a, b = fold(first), fold(second)
    if not a or not b or a in b or b in a:
        return bool(a and b)
    words_a, words_b = set(a.split()), set(b.split())
    return len(words_a & words_b) >= SIMILAR_NAME * min(len(words_a), len(words_b))


def _same_place(first: MeetingRecord | Any, second: MeetingRecord | Any) -> bool:
    lat1, lon1, lat2, lon2 = first.latitude, first.longitude, second.latitude, second.longitude
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return False
    if is_placeholder(lat1, lon1):
        return False
    return haversine_km_raw(lat1, lon1, lat2, lon2) <= SAME_PLACE_KM


def same_meeting(first: MeetingRecord | Any, second: MeetingRecord | Any) -> bool:
    """Tell whether two listings (records or stored rows) are one meeting.

    The rule: the same fellowship, weekday and start time; the same place (venues within
    about 100 m, placeholder coordinates excepted) or the same join link (without its
    query); and similar names (``similar_names``).
    """
    if (first.fellowship, first.weekday, first.start_time) != (
        second.fellowship,
        second.weekday,
        second.start_time,
    ) or first.start_time is None:
        return False
    link = bool(first.online_url) and join_url(first.online_url) == join_url(second.online_url)
    return (link or _same_place(first, second)) and similar_names(first.name, second.name)


def schedule_key(record: MeetingRecord | Any) -> tuple[str, int | None, time | None]:
    """Return what two listings of one meeting always share: fellowship, weekday, start."""
    return (record.fellowship, record.weekday, record.start_time)


CELL_DEGREES = 0.01  # index cells of about 1 km: a venue's same-place twin is in a neighbour


class MeetingIndex:
    """Listings by schedule, then by map cell and join link: the candidates for same_meeting.

    A national import holds thousands of meetings at 19:00 on a Monday; comparing each with
    only the listings in its own and the eight neighbouring cells (or with the same join
    link) keeps merging linear.
    """

    def __init__(self) -> None:
        self._cells: dict[tuple[Any, ...], list[Any]] = {}
        self._links: dict[tuple[Any, ...], list[Any]] = {}

    def add(self, listing: Any) -> None:
        """Index a record or stored row."""
        schedule = schedule_key(listing)
        if listing.online_url:
            self._links.setdefault((*schedule, join_url(listing.online_url)), []).append(listing)
        cell = _cell(listing)
        if cell is not None:
            self._cells.setdefault((*schedule, *cell), []).append(listing)

    def find(self, record: MeetingRecord) -> Any | None:
        """Return the first indexed listing that is the same meeting as ``record``, or None."""
        schedule = schedule_key(record)
        candidates: list[Any] = []
        if record.online_url:
            candidates += self._links.get((*schedule, join_url(record.online_url)), [])
        cell = _cell(record)
        if cell is not None:
            for north in (-1, 0, 1):
                for east in (-1, 0, 1):
                    key = (*schedule, cell[0] + north, cell[1] + east)
                    candidates += self._cells.get(key, [])
        # A record is never its own twin; stored rows (no key attribute) are other sources'.
        return next(
            (
                c
                for c in candidates
                if getattr(c, "key", None) != record.key and same_meeting(c, record)
            ),
            None,
        )


def _cell(listing: Any) -> tuple[int, int] | None:
    if listing.latitude is None or listing.longitude is None:
        return None
    return (int(listing.latitude // CELL_DEGREES), int(listing.longitude // CELL_DEGREES))


def merge_duplicates(
    items: Iterable[MeetingRecord | Rejected],
) -> Iterator[MeetingRecord | Rejected]:
    """Give a later listing of an already seen meeting (``same_meeting``) the first's key.

    The pipeline then merges the two like any rows sharing a key (counted as merged), and
    the first listing records the later one's key in ``also_listed``.
    """
    seen = MeetingIndex()
    for item in items:
        if isinstance(item, Rejected):
            yield item
            continue
        first = seen.find(item)
        if first is None:
            seen.add(item)
            yield item
        else:
            yield replace(item, key=first.key, also_listed=(item.key,))


def merge_meetings(first: MeetingRecord, second: MeetingRecord) -> MeetingRecord:
    """Merge two records with one key (a feed that lists a meeting twice): first wins."""
    return replace(
        first,
        online_url=first.online_url or second.online_url,
        online_phone=first.online_phone or second.online_phone,
        also_listed=tuple(sorted(set(first.also_listed) | set(second.also_listed))),
    )


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


def with_place_point(record: MeetingRecord) -> MeetingRecord:
    """Place a venue without coordinates at its ZIP or city centre (marked approximate)."""
    if record.latitude is not None or record.attendance == "online":
        return record
    gazetteer = embedded_gazetteer()
    zip5 = record.postal_code[:5]
    place = gazetteer.zip(zip5) if zip5.isascii() and zip5.isdigit() else None
    known = find_state(record.state) if record.state else None
    if place is None and record.city and known is not None:
        place = gazetteer.city(record.city, known)
    if place is None:
        return record
    return replace(
        record,
        latitude=place.point.lat,
        longitude=place.point.lon,
        location_approximate=True,
    )


def without_venue_formats(record: MeetingRecord) -> MeetingRecord:
    """Drop wheelchair and other venue-only formats from meetings not attended in person."""
    if record.attendance != "online":
        return record
    return replace(record, formats=tuple(c for c in record.formats if c not in IN_PERSON_ONLY))


_COLUMNS = (
    "fellowship",
    "name",
    "weekday",
    "start_time",
    "duration_minutes",
    "time_zone",
    "time_zone_inferred",
    "attendance",
    "location_name",
    "street",
    "city",
    "state",
    "postal_code",
    "latitude",
    "longitude",
    "online_url",
    "online_phone",
    "notes",
    "source_url",
    "location_approximate",
    "schedule_note",
)


@dataclass
class MeetingWriter(KeyedRows):
    """Stores MeetingRecords of one source (the Writer of the import pipeline).

    ``scope_urls``: when set, a full refresh only deactivates rows from these servers or
    feeds (those fetched in full this run); rows of a server that failed stay as they were.
    """

    source_note: str
    scope_urls: set[str] | None = None
    table: ClassVar[Any] = Meeting
    merged_elsewhere: int = 0  # rows stored as another source's meeting (duplicate_of)

    def merge(self, first: MeetingRecord, second: MeetingRecord) -> MeetingRecord:
        return merge_meetings(first, second)

    def _listed_elsewhere(self, session: Session, records: list[MeetingRecord]) -> dict[str, int]:
        """Return, by record key, the id of the same meeting another source already lists.

        Candidates are the other sources' active rows that are not duplicates themselves,
        with the same fellowship, weekday and start minute; ``same_meeting`` decides.
        """
        wanted = {schedule_key(r) for r in records if r.start_time is not None}
        if not wanted:
            return {}
        minutes = {k[2].hour * 60 + k[2].minute for k in wanted if k[2] is not None}
        rows = session.scalars(
            select(Meeting).where(
                col(Meeting.active),
                col(Meeting.duplicate_of).is_(None),
                col(Meeting.source) != self.source,
                col(Meeting.fellowship).in_(sorted({k[0] for k in wanted})),
                col(Meeting.weekday).in_(sorted({k[1] for k in wanted if k[1] is not None})),
                col(Meeting.start_minute).in_(sorted(minutes)),
            )
        )
        stored = MeetingIndex()
        for row in rows:
            stored.add(row)
        found: dict[str, int] = {}
        for record in records:
            twin = stored.find(record)
            if twin is not None and twin.id is not None:
                found[record.key] = twin.id
        self.merged_elsewhere += len(found)
        return found

    def _values(self, record: MeetingRecord, digest: str) -> dict[str, Any]:
        values = {name: getattr(record, name) for name in _COLUMNS}
        start = record.start_time
        values.update(
            source_note=self.source_note,
            start_minute=None if start is None else start.hour * 60 + start.minute,
            formats=list(record.formats),
            formats_original=list(record.formats_original),
            format_names=list(record.format_names),
            format_codes="," + ",".join(record.formats) + "," if record.formats else "",
            also_listed=sorted(record.also_listed),
            content_hash=digest,
            # A temporarily closed meeting stays listed (searches leave it out by attendance),
            # so that re-importing it changes nothing.
            active=True,
        )
        values.update(index_columns(record.latitude, record.longitude))
        return values

    def insert(
        self, session: Session, records: list[tuple[MeetingRecord, str]], seen_on: date
    ) -> None:
        if not records:
            return
        elsewhere = self._listed_elsewhere(session, [record for record, _digest in records])
        rows = [
            {
                **self._values(record, digest),
                "duplicate_of": elsewhere.get(record.key),
                "source": self.source,
                "source_key": record.key,
                "first_seen": seen_on,
                "last_seen": seen_on,
            }
            for record, digest in records
        ]
        session.connection().execute(insert(Meeting), rows)

    def update(
        self, session: Session, records: list[tuple[int, MeetingRecord, str]], seen_on: date
    ) -> None:
        if not records:
            return
        elsewhere = self._listed_elsewhere(session, [record for _id, record, _digest in records])
        params = [
            {
                **self._values(record, digest),
                "duplicate_of": elsewhere.get(record.key),
                "row_id": row_id,
            }
            for row_id, record, digest in records
        ]
        self._update_rows(session, params, seen_on)

    def touch(self, session: Session, ids: list[int], seen_on: date) -> None:
        # The note follows the latest import: a sample row confirmed by a live run stops
        # being described as a sample.
        if ids:
            session.execute(
                update(Meeting)
                .where(col(Meeting.id).in_(ids))
                .values(
                    source_note=self.source_note,
                    last_seen=case(
                        (col(Meeting.last_seen) < seen_on, seen_on), else_=Meeting.last_seen
                    ),
                )
            )

    def active_ids(self, session: Session) -> set[int]:
        query = self._active_rows()
        if self.scope_urls is not None:
            query = query.where(col(Meeting.source_url).in_(sorted(self.scope_urls)))
        return set(session.scalars(query))

    def deactivate(self, session: Session, ids: list[int]) -> None:
        self._retire_rows(session, ids)
        # A meeting no longer listed here is shown again from the other sources listing it.
        session.execute(
            update(Meeting).where(col(Meeting.duplicate_of).in_(ids)).values(duplicate_of=None)
        )
