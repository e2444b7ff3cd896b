"""Meeting records as importers produce them, the writer that stores them, and the shared rules.

Shared by the BMLT, Meeting Guide and SMART importers:

- one weekly schedule per row: a meeting held on several days becomes several records;
- time zones: from the source, else a real place, else the zone its group shares
  (scrapers/meeting_zones.py); a meeting with none is kept with an empty zone, counted in
  the import summary and listed on the meeting pages as "time zone not given";
- the same meeting listed by two servers, feeds or sources is stored once
  (scrapers/meeting_merge.py, ``same_meeting``);
- attendance is in_person, hybrid, online or inactive (a temporarily closed venue with no
  online option); physical-access formats are dropped from meetings no one attends in person.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import date, time
from typing import Any, ClassVar

from sqlalchemy import case, insert, select, update
from sqlmodel import Session, col

from locator.models import Meeting
from locator.places.gazetteer import embedded_gazetteer
from locator.places.spatial import index_columns
from locator.places.states import find_state
from scrapers.meeting_merge import MeetingIndex, schedule_key
from scrapers.meeting_zones import NO_TIME_ZONE
from scrapers.writers import KeyedRows

ATTENDANCE = ("in_person", "hybrid", "online", "inactive")
# Types that only make sense at a venue (tsml-ui's list): hidden on online-only meetings.
IN_PERSON_ONLY = frozenset({"BA", "BRK", "CAN", "CF", "AL-AN", "AL", "FF", "OUT", "SM", "X", "XB"})
MAX_KEY = 128


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


def merge_meetings(first: MeetingRecord, second: MeetingRecord) -> MeetingRecord:
    """Merge two records with one key (a feed that lists a meeting twice): first wins."""
    return replace(
        first,
        online_url=first.online_url or second.online_url,
        online_phone=first.online_phone or second.online_phone,
        also_listed=tuple(sorted(set(first.also_listed) | set(second.also_listed))),
    )


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
