"""Weekly meeting times: weekdays, next occurrence in the meeting's zone, viewer time, .ics.

A meeting is stored as a local weekday (0 = Sunday, as in the Meeting Guide spec), a local
start time and an IANA zone. Every conversion goes through zoneinfo, so a meeting at 19:00 in
New York is 23:00 UTC in summer and 00:00 UTC (the next day) in winter, and a viewer in
Los Angeles sees 16:00 all year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

WEEKDAYS = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
ICS_DAYS = ("SU", "MO", "TU", "WE", "TH", "FR", "SA")
DEFAULT_DURATION_MINUTES = 60
# A meeting that started this recently still counts as "starting now": people join late.
GRACE = timedelta(minutes=10)

# Time-of-day filters, in the meeting's own local time: (first minute, last minute + 1).
TIMES_OF_DAY: dict[str, tuple[str, int, int]] = {
    "morning": ("Morning (5 am – noon)", 5 * 60, 12 * 60),
    "afternoon": ("Afternoon (noon – 5 pm)", 12 * 60, 17 * 60),
    "evening": ("Evening (5 pm – 9 pm)", 17 * 60, 21 * 60),
    "night": ("Night (9 pm – 5 am)", 21 * 60, 5 * 60),  # wraps past midnight
}


MAX_ZONE_NAME = 64  # the column's width; the longest IANA name has 32 characters


@cache
def zone_names() -> frozenset[str]:
    """Return every IANA zone name the installed tz database knows."""
    return frozenset(available_timezones())


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo | None:
    """Return the zone with this IANA name, or None for '' or an unknown name.

    Only names of the tz database are opened: "America" or "__pycache__" are folders of it
    and a 300-character name is too long for a file name, and ZoneInfo raises OSError on
    those rather than ZoneInfoNotFoundError.
    """
    if not name or len(name) > MAX_ZONE_NAME or name not in zone_names():
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None


def sunday_weekday(day: date) -> int:
    """Return the weekday of a date counted from Sunday = 0."""
    return (day.weekday() + 1) % 7


def next_occurrence(weekday: int, start: time, zone_name: str, now: datetime) -> datetime | None:
    """Return the next start (aware, in the meeting's zone) at or after ``now - GRACE``.

    A start that falls in a spring-forward gap is read with the offset before the change,
    which is what calendar programs do. None when the zone is unknown.
    """
    tz = zone(zone_name)
    if tz is None:
        return None
    local_now = (now - GRACE).astimezone(tz)
    ahead = (weekday - sunday_weekday(local_now.date())) % 7
    for extra in (0, 7):
        day = local_now.date() + timedelta(days=ahead + extra)
        candidate = datetime.combine(day, start, tzinfo=tz)
        if candidate.astimezone(UTC) >= (now - GRACE).astimezone(UTC):
            return candidate
    return None  # pragma: no cover - a week ahead is always in the future


class StartClock:
    """Next starts after one ``now``, with the zone arithmetic done once per zone and day.

    "Starting soon" orders thousands of (zone, weekday, minute) groups: instead of building
    aware datetimes for each, every zone's local "now" and each coming day's UTC offset are
    computed once, and a start is whole-second arithmetic. A day on which the zone changes
    its offset is computed exactly (``next_occurrence``), so results are the same.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.earliest = int((now - GRACE).timestamp())
        self._days: dict[str, tuple[int, list[int | None]] | None] = {}

    def _zone_days(self, zone_name: str) -> tuple[int, list[int | None]] | None:
        """Return the zone's local weekday of ``now - GRACE`` and each next day's midnight."""
        if zone_name in self._days:
            return self._days[zone_name]
        tz = zone(zone_name)
        found: tuple[int, list[int | None]] | None = None
        if tz is not None:
            local = (self.now - GRACE).astimezone(tz)
            midnights: list[int | None] = []
            for ahead in range(8):
                day = local.date() + timedelta(days=ahead)
                first = datetime.combine(day, time(0, 0), tzinfo=tz).utcoffset()
                last = datetime.combine(day, time(23, 59), tzinfo=tz).utcoffset()
                if first is None or first != last:
                    midnights.append(None)  # the offset changes that day: compute exactly
                    continue
                utc_midnight = datetime.combine(day, time(0, 0), tzinfo=UTC).timestamp()
                midnights.append(int(utc_midnight - first.total_seconds()))
            found = (sunday_weekday(local.date()), midnights)
        self._days[zone_name] = found
        return found

    def start(self, zone_name: str, weekday: int, minute: int) -> int | None:
        """Return the next start as a UTC timestamp, or None when the zone is unknown."""
        days = self._zone_days(zone_name)
        if days is None:
            return None
        today, midnights = days
        ahead = (weekday - today) % 7
        for extra in (ahead, ahead + 7):
            midnight = midnights[extra]
            if midnight is None:
                exact = next_occurrence(
                    weekday, time(minute // 60, minute % 60), zone_name, self.now
                )
                return None if exact is None else int(exact.timestamp())
            if midnight + minute * 60 >= self.earliest:
                return midnight + minute * 60
        return None  # pragma: no cover - a week ahead is always in the future


def minutes_between(earlier: datetime, later: datetime) -> int:
    """Return whole minutes from ``earlier`` to ``later`` (negative if it already passed)."""
    return int((later.astimezone(UTC) - earlier.astimezone(UTC)).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class ShownTime:
    """A meeting time as shown to a person: weekday, clock time and zone abbreviation."""

    weekday: str
    clock: str
    abbreviation: str
    iso: str

    def __str__(self) -> str:
        return f"{self.weekday} {self.clock} {self.abbreviation}".strip()


def shown(moment: datetime, zone_name: str | None = None) -> ShownTime:
    """Show ``moment`` in ``zone_name`` (or its own zone): 'Tuesday 7:00 pm EDT'."""
    tz = zone(zone_name) if zone_name else None
    local = moment.astimezone(tz) if tz is not None else moment
    clock = local.strftime("%I:%M %p").lstrip("0").lower()
    return ShownTime(
        WEEKDAYS[sunday_weekday(local.date())], clock, local.tzname() or "", local.isoformat()
    )


def clock_text(start: time) -> str:
    """Return '7:30 pm' for a local start time."""
    return datetime.combine(date(2000, 1, 1), start).strftime("%I:%M %p").lstrip("0").lower()


def in_time_of_day(start_minute: int, key: str) -> bool:
    """Tell whether a local start minute falls in a named part of the day."""
    _label, first, end = TIMES_OF_DAY[key]
    if first < end:
        return first <= start_minute < end
    return start_minute >= first or start_minute < end


def end_time(start: time, duration_minutes: int | None) -> time:
    """Return the local end time (wrapping past midnight)."""
    minutes = start.hour * 60 + start.minute + (duration_minutes or DEFAULT_DURATION_MINUTES)
    return time((minutes // 60) % 24, minutes % 60)
