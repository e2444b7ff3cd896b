"""Meeting search: near a place (in person and hybrid) or online from anywhere, with filters.

Near a place the spatial machinery of locator/places/spatial.py ranks meetings by distance inside
the covering index ``ix_spatial_meeting`` (weekday, start minute and attendance are in the
index, so those filters never read table rows). Online meetings have no place; they are
read through ``ix_meeting_schedule`` by attendance and weekday.

"Starting soon" orders by the next real start in each meeting's own zone. The database
narrows the candidates to the weekdays that can hold a start in the next 24 hours in any
zone; the exact next start is computed with zoneinfo for those, and the page's rows are
read afterwards.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select
from sqlmodel import Session, col

from locator.db import driver_rows
from locator.errors import N_, BadQueryError
from locator.meetings.times import (
    GRACE,
    TIMES_OF_DAY,
    StartClock,
    minutes_between,
    next_occurrence,
    sunday_weekday,
)
from locator.meetings.types import FELLOWSHIPS, format_filters
from locator.models import Meeting
from locator.places.geo import Point, Unit, from_km, haversine_km_raw, to_km
from locator.places.law_filter import parse_statuses, status_condition
from locator.places.spatial import RankedQuery, driver_sql, ranked_page

Mode = Literal["near", "online"]
Order = Literal["distance", "soon"]
MAX_PAGE = 1000
MAX_CANDIDATES = 20_000  # "starting soon" sorts at most this many candidates in Python
SOON_HOURS = 24
NEAR_ATTENDANCE = ("in_person", "hybrid")
ONLINE_ATTENDANCE = ("online", "hybrid")


@dataclass(frozen=True, slots=True)
class MeetingQuery:
    """What a person asked for; ``origin`` None means online meetings from anywhere.

    ``state`` with no ``radius`` means every in-person meeting of that state (a state typed
    as the place), ranked from ``origin``, its centre: they carry no distance, since nobody
    is at that centre (as a whole state's facilities, ``FacilityQuery.whole_state``).
    """

    origin: Point | None
    radius: float | None = None
    unit: Unit = "mi"
    fellowships: tuple[str, ...] = ()
    weekdays: tuple[int, ...] = ()
    times_of_day: tuple[str, ...] = ()
    attendance: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    order: Order = "distance"
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    page: int = 1
    per_page: int = 25
    law_statuses: tuple[str, ...] = ()  # the state's kratom-law status (locator/laws/status.py)
    zone_unknown: bool = False  # only the meetings whose source gives no time zone
    state: str | None = None  # a whole state's meetings, with no radius (see above)

    def __post_init__(self) -> None:
        parse_statuses(self.law_statuses)
        if (
            self.origin is not None
            and not self.whole_state
            and not (self.radius is not None and math.isfinite(self.radius) and self.radius > 0)
        ):
            raise BadQueryError(N_("The distance must be a number above zero."), field="radius")
        self._check_choices()
        if not 1 <= self.page <= MAX_PAGE or self.per_page < 1:
            raise BadQueryError(
                N_("The page must be between 1 and %(limit)s."), field="page", limit=MAX_PAGE
            )
        if self.now.tzinfo is None:
            raise ValueError("now must be timezone-aware")

    def _check_choices(self) -> None:
        allowed = NEAR_ATTENDANCE if self.origin is not None else ONLINE_ATTENDANCE
        checks: tuple[tuple[str, Any, str], ...] = (
            (
                "fellowship",
                lambda c: c in FELLOWSHIPS,
                N_("“%(value)s” is not a fellowship we list."),
            ),
            (
                "day",
                lambda d: isinstance(d, int) and 0 <= d <= 6,
                N_("“%(value)s” is not a weekday 0-6."),
            ),
            (
                "time",
                lambda k: k in TIMES_OF_DAY,
                N_("“%(value)s” is not morning, afternoon, evening or night."),
            ),
            ("attendance", lambda k: k in allowed, N_("“%(value)s” is not one of %(choices)s.")),
            (
                "format",
                lambda k: k in format_filters(),
                N_("“%(value)s” is not a format we can filter on."),
            ),
        )
        values = (self.fellowships, self.weekdays, self.times_of_day, self.attendance, self.formats)
        for (name, valid, why), chosen in zip(checks, values, strict=True):
            for item in chosen:
                if not valid(item):
                    raise BadQueryError(
                        why, field=name, value=str(item)[:20], choices=", ".join(allowed)
                    )

    @property
    def mode(self) -> Mode:
        return "online" if self.origin is None else "near"

    @property
    def whole_state(self) -> bool:
        """Whether this lists a whole state's meetings from its centre, with no distances."""
        return self.origin is not None and self.radius is None and self.state is not None


@dataclass(slots=True)
class MeetingHit:
    """One meeting in a result list, with its distance and its next start."""

    meeting: Meeting
    distance: float | None
    next_start: datetime | None
    minutes_until: int | None


@dataclass(frozen=True, slots=True)
class MeetingPage:
    """A page of meetings and what it is a page of."""

    query: MeetingQuery
    hits: list[MeetingHit]
    total: int
    truncated: bool = False
    unzoned: int = 0  # matching meetings that give no time zone (not placed in time)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.query.per_page))

    @property
    def has_next(self) -> bool:
        return self.query.page < self.pages


def meeting_conditions(query: MeetingQuery) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Return SQL conditions on alias ``t`` and their parameters.

    Only validated constants (weekdays, minutes, codes) are written into the SQL; the
    fellowship codes, also checked, are bound.
    """
    kinds = query.attendance or (NEAR_ATTENDANCE if query.mode == "near" else ONLINE_ATTENDANCE)
    conditions = [
        "t.active",
        "t.attendance IN (" + ", ".join(f"'{k}'" for k in kinds) + ")",
        "t.duplicate_of IS NULL",  # the same meeting as another source's row: shown once
    ]
    params: dict[str, Any] = {}
    if query.zone_unknown:
        conditions.append("t.time_zone = ''")
    if query.fellowships:
        names = [f":fellowship{i}" for i in range(len(query.fellowships))]
        conditions.append(f"t.fellowship IN ({', '.join(names)})")
        params.update({f"fellowship{i}": code for i, code in enumerate(query.fellowships)})
    days = _weekday_window(query)
    if days is not None:
        # An empty window matches nothing; PostgreSQL (unlike SQLite) refuses "IN ()".
        listed = ", ".join(str(d) for d in sorted(days))
        conditions.append(f"t.weekday IN ({listed})" if days else "1 = 0")
    elif query.order == "soon" and not query.zone_unknown:
        conditions.append(_soon_window(query.now))
    if query.times_of_day:
        conditions.append(
            "(" + " OR ".join(_time_condition(key) for key in query.times_of_day) + ")"
        )
    for key in query.formats:
        codes = sorted(format_filters()[key].codes)
        conditions.append("(" + " OR ".join(f"t.format_codes LIKE '%,{c},%'" for c in codes) + ")")
    if query.law_statuses:  # checked against LawStatus in MeetingQuery
        conditions.append(status_condition(parse_statuses(query.law_statuses)))
    if query.whole_state:
        conditions.append("t.state = :state")
        params["state"] = query.state
    return tuple(conditions), params


def _time_condition(key: str) -> str:
    _label, first, end = TIMES_OF_DAY[key]
    if first < end:
        return f"(t.start_minute >= {first} AND t.start_minute < {end})"
    return f"(t.start_minute >= {first} OR t.start_minute < {end})"


def _weekday_window(query: MeetingQuery) -> set[int] | None:
    """Return the weekdays to read: the chosen ones, narrowed for "starting soon"."""
    # Meetings without a zone cannot be placed in the next 24 hours: all days are read.
    # Chosen days are read whole: "Sunday" asked on a Monday means next Sunday, as _soonest
    # orders it, not "Sunday, if it falls in the next 24 hours". "Starting soon" with no
    # day chosen reads _soon_window instead (None here).
    return set(query.weekdays) if query.weekdays else None


def _soon_window(now: datetime) -> str:
    """Return the local weekdays and minutes that can hold a start in the next 24 hours.

    A meeting's local clock runs 12 hours behind UTC to 14 ahead, so its local start must
    fall between now - 12 h (less the grace) and now + 24 h + 14 h read as local times: full
    days in between, and minute bounds on the first and last day. The exact start, in each
    zone, is computed afterwards (StartClock).
    """
    first = (now - GRACE - timedelta(hours=12)).astimezone(UTC).replace(tzinfo=None)
    last = (now + timedelta(hours=SOON_HOURS + 14)).astimezone(UTC).replace(tzinfo=None)
    parts = []
    day = first.date()
    while day <= last.date():
        low = first.hour * 60 + first.minute if day == first.date() else 0
        high = last.hour * 60 + last.minute if day == last.date() else 24 * 60 - 1
        weekday = sunday_weekday(day)
        if low == 0 and high == 24 * 60 - 1:
            parts.append(f"t.weekday = {weekday}")
        else:
            parts.append(
                f"(t.weekday = {weekday} AND t.start_minute BETWEEN {int(low)} AND {int(high)})"
            )
        day += timedelta(days=1)
    return "(" + " OR ".join(parts) + ")"


def find_meetings(*, session: Session, query: MeetingQuery) -> MeetingPage:
    """Return one page of meetings matching ``query``: nearest first, or starting soonest."""
    if query.order == "soon":
        return _soonest(session, query)
    rows = _ranked(
        session, query, ("id",), limit=query.per_page, offset=(query.page - 1) * query.per_page
    )
    total = int(rows[0][0]) if rows else 0
    meetings = _load(session, [row[2] for row in rows])
    hits = [_hit(meetings[row[2]], query) for row in rows if row[2] in meetings]
    return MeetingPage(query, hits, total)


def _ranked(
    session: Session, query: MeetingQuery, columns: tuple[str, ...], *, limit: int, offset: int
) -> list[Any]:
    conditions, params = meeting_conditions(query)
    radius = None
    if query.origin is not None and query.radius is not None:
        radius = to_km(query.radius, query.unit)
    return ranked_page(
        session.connection(),
        RankedQuery("meeting", conditions, columns),
        query.origin or Point(0.0, 0.0),
        radius,
        limit=limit,
        offset=offset,
        params=params,
    )


def _soonest(session: Session, query: MeetingQuery) -> MeetingPage:
    """Order by next start: per (zone, weekday, minute) group, then read the page's rows."""
    clock = StartClock(query.now)
    if query.origin is None:
        groups = _online_groups(session, query)
        truncated = False
    else:
        rows = _ranked(
            session,
            query,
            ("id", "weekday", "start_minute", "time_zone"),
            limit=MAX_CANDIDATES,
            offset=0,
        )
        truncated = bool(rows) and int(rows[0][0]) > MAX_CANDIDATES
        groups = _near_groups(rows)
    horizon = int((query.now + timedelta(hours=SOON_HOURS)).timestamp())
    timed: list[tuple[int, ScheduleGroup]] = []
    unzoned: list[ScheduleGroup] = []
    for group in groups:
        start = clock.start(group.zone, group.weekday, group.minute)
        if start is None:
            unzoned.append(group)
        elif query.weekdays or start <= horizon:
            timed.append((start, group))
    timed.sort(key=lambda item: (item[0], item[1].zone, item[1].weekday, item[1].minute))
    # Meetings that give no zone cannot be placed in time: listed after the others when a
    # day is chosen (their local time is still true), counted otherwise.
    unzoned.sort(key=lambda g: (g.weekday, g.minute))
    ordered = [g for _start, g in timed]
    if query.weekdays or query.zone_unknown:
        ordered += unzoned
    total = sum(g.count for g in ordered)
    first = (query.page - 1) * query.per_page
    chosen = _page_ids(session, query, ordered, first, query.per_page)
    meetings = _load(session, chosen)
    hits = [_hit(meetings[row_id], query) for row_id in chosen if row_id in meetings]
    without_zone = sum(g.count for g in unzoned)
    return MeetingPage(query, hits, total, truncated=truncated, unzoned=without_zone)


@dataclass(slots=True)
class ScheduleGroup:
    """Meetings sharing a zone, weekday and start minute (they start at the same moment)."""

    zone: str
    weekday: int
    minute: int
    count: int
    ids: list[int] = field(default_factory=list)  # known already when read row by row


def _online_groups(session: Session, query: MeetingQuery) -> list[ScheduleGroup]:
    """Count the candidates per zone, weekday and minute (from ix_meeting_schedule)."""
    conditions, params = meeting_conditions(query)
    where = " AND ".join((*conditions, "t.weekday IS NOT NULL", "t.start_minute IS NOT NULL"))
    # Only validated constants are in the conditions (meeting_conditions); values are bound.
    sql = (
        "SELECT t.time_zone, t.weekday, t.start_minute, t.attendance, COUNT(*)"  # noqa: S608
        f" FROM meeting t WHERE {where}"
        " GROUP BY t.attendance, t.weekday, t.start_minute, t.time_zone"
    )
    connection = session.connection()
    rows = driver_rows(connection, driver_sql(connection.dialect.name, sql), params)
    # Grouped in the index's own order (attendance first), so no sort is needed; online and
    # hybrid rows of one moment are added up here.
    counts: dict[tuple[str, int, int], int] = {}
    for zone_name, weekday, minute, _attendance, count in rows:
        key = (zone_name or "", weekday, minute)
        counts[key] = counts.get(key, 0) + count
    return [ScheduleGroup(z, d, m, n) for (z, d, m), n in counts.items()]


def _near_groups(rows: list[Any]) -> list[ScheduleGroup]:
    groups: dict[tuple[str, int, int], ScheduleGroup] = {}
    for _total, _dot, row_id, weekday, minute, zone_name in rows:
        if weekday is None or minute is None:
            continue
        key = (zone_name or "", weekday, minute)
        group = groups.setdefault(key, ScheduleGroup(key[0], weekday, minute, 0))
        group.count += 1
        group.ids.append(row_id)
    return list(groups.values())


def _page_ids(
    session: Session, query: MeetingQuery, ordered: list[ScheduleGroup], first: int, size: int
) -> list[int]:
    """Return the ids of rows ``first`` to ``first + size`` of the ordered groups."""
    wanted: list[ScheduleGroup] = []
    seen = 0
    skip = 0
    for group in ordered:
        if seen + group.count > first:
            if not wanted:
                skip = first - seen  # rows of the first wanted group on earlier pages
            wanted.append(group)
        seen += group.count
        if seen >= first + size:
            break
    if not wanted:
        return []
    missing = [g for g in wanted if not g.ids]
    if missing:
        _read_group_ids(session, query, missing)
    ids = [row_id for g in wanted for row_id in sorted(g.ids)]
    return ids[skip : skip + size]


def _read_group_ids(session: Session, query: MeetingQuery, groups: list[ScheduleGroup]) -> None:
    conditions, params = meeting_conditions(query)
    which = []
    for index, group in enumerate(groups):
        params.update({f"gz{index}": group.zone})
        which.append(
            f"(t.time_zone = :gz{index} AND t.weekday = {int(group.weekday)}"
            f" AND t.start_minute = {int(group.minute)})"
        )
    where = " AND ".join((*conditions, "(" + " OR ".join(which) + ")"))
    sql = f"SELECT t.id, t.time_zone, t.weekday, t.start_minute FROM meeting t WHERE {where}"  # noqa: S608
    connection = session.connection()
    by_key = {(g.zone, g.weekday, g.minute): g for g in groups}
    for row_id, zone_name, weekday, minute in driver_rows(
        connection, driver_sql(connection.dialect.name, sql), params
    ):
        by_key[(zone_name or "", weekday, minute)].ids.append(row_id)


def _load(session: Session, ids: list[int]) -> dict[int, Meeting]:
    if not ids:
        return {}
    found = session.scalars(select(Meeting).where(col(Meeting.id).in_(ids)))
    return {m.id: m for m in found if m.id is not None}


def _hit(meeting: Meeting, query: MeetingQuery) -> MeetingHit:
    distance = None
    lat, lon = meeting.latitude, meeting.longitude
    if query.origin is not None and not query.whole_state and lat is not None and lon is not None:
        km = haversine_km_raw(query.origin.lat, query.origin.lon, lat, lon)
        distance = from_km(km, query.unit)
    start = None
    if meeting.weekday is not None and meeting.start_time is not None:
        start = next_occurrence(meeting.weekday, meeting.start_time, meeting.time_zone, query.now)
    until = None if start is None else minutes_between(query.now, start)
    return MeetingHit(meeting, distance, start, until)


def meeting_hit(meeting: Meeting, now: datetime) -> MeetingHit:
    """Return a hit for one meeting (its page), with its next start after ``now``."""
    return _hit(meeting, MeetingQuery(origin=None, now=now))
