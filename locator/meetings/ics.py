"""An .ics calendar file for one weekly meeting: its IANA zone, a weekly RRULE, a VTIMEZONE.

The VTIMEZONE lists the zone's real offset changes (read from zoneinfo) for the years around
the first occurrence, so a calendar that does not know the IANA name still moves the meeting
correctly across daylight-saving changes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from locator.meetings.times import ICS_DAYS, end_time, zone

PRODID = "-//treatment-locator//meetings//EN"
TRANSITION_YEARS = 3


@dataclass(frozen=True, slots=True)
class CalendarMeeting:
    """What the calendar file needs to know about a meeting."""

    uid: str
    name: str
    first_start: datetime  # aware, in the meeting's zone (or naive: floating local time)
    zone_name: str
    duration_minutes: int | None
    location: str
    url: str
    description: str
    interval_weeks: int = 1


def escape(text: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11)."""
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold_line(line: str) -> str:
    """Fold a content line at 75 octets (RFC 5545 §3.1)."""
    data = line.encode("utf-8")
    if len(data) <= 75:
        return line
    parts: list[str] = []
    current = ""
    for char in line:
        limit = 75 if not parts else 74
        if len((current + char).encode("utf-8")) > limit:
            parts.append(current)
            current = char
        else:
            current += char
    parts.append(current)
    return "\r\n ".join(parts)


def calendar(meeting: CalendarMeeting, *, stamp: datetime) -> str:
    """Return the whole VCALENDAR text (CRLF line ends, folded)."""
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    lines.extend(_vtimezone(meeting))
    lines.extend(_vevent(meeting, stamp))
    lines.append("END:VCALENDAR")
    return "\r\n".join(fold_line(line) for line in lines) + "\r\n"


def _local(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S")


def _vevent(meeting: CalendarMeeting, stamp: datetime) -> list[str]:
    start = meeting.first_start
    finish = datetime.combine(start.date(), end_time(start.time(), meeting.duration_minutes))
    if finish <= start.replace(tzinfo=None):
        finish += timedelta(days=1)
    tzid = f";TZID={meeting.zone_name}" if zone(meeting.zone_name) else ""
    rule = f"RRULE:FREQ=WEEKLY;BYDAY={ICS_DAYS[(start.weekday() + 1) % 7]}"
    if meeting.interval_weeks > 1:
        rule += f";INTERVAL={meeting.interval_weeks}"
    lines = [
        "BEGIN:VEVENT",
        f"UID:{meeting.uid}",
        f"DTSTAMP:{stamp.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART{tzid}:{_local(start)}",
        f"DTEND{tzid}:{_local(finish)}",
        rule,
        f"SUMMARY:{escape(meeting.name)}",
    ]
    if meeting.location:
        lines.append(f"LOCATION:{escape(meeting.location)}")
    if meeting.url:
        lines.append(f"URL:{meeting.url}")
    lines.append(f"DESCRIPTION:{escape(meeting.description)}")
    lines.append("END:VEVENT")
    return lines


def _vtimezone(meeting: CalendarMeeting) -> list[str]:
    tz = zone(meeting.zone_name)
    if tz is None:
        return []
    year = meeting.first_start.year
    start = datetime(year - 1, 1, 1, tzinfo=UTC)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{meeting.zone_name}"]
    changes = list(_transitions(start, tz, TRANSITION_YEARS))
    before = start.astimezone(tz).utcoffset() or timedelta(0)
    if not changes:
        lines.extend(_observance("STANDARD", start.astimezone(tz), before, before, start))
    for moment, old, new in changes:
        kind = "DAYLIGHT" if (moment.astimezone(tz).dst() or timedelta(0)) else "STANDARD"
        lines.extend(_observance(kind, moment.astimezone(tz), old, new, moment))
    lines.append("END:VTIMEZONE")
    return lines


def _observance(
    kind: str, local: datetime, old: timedelta, new: timedelta, moment: datetime
) -> list[str]:
    # DTSTART of an observance is the local time just before the change, in the old offset.
    onset = (moment + old).replace(tzinfo=None)
    return [
        f"BEGIN:{kind}",
        f"DTSTART:{_local(onset)}",
        f"TZOFFSETFROM:{_offset(old)}",
        f"TZOFFSETTO:{_offset(new)}",
        f"TZNAME:{local.tzname()}",
        f"END:{kind}",
    ]


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _transitions(
    start: datetime, tz: ZoneInfo, years: int
) -> Iterator[tuple[datetime, timedelta, timedelta]]:
    """Yield (UTC moment, offset before, offset after) of each change, found by bisection."""
    step = timedelta(days=1)
    moment = start
    offset = moment.astimezone(tz).utcoffset()
    end = start + timedelta(days=366 * years)
    while moment < end:
        following = moment + step
        after = following.astimezone(tz).utcoffset()
        if after != offset:
            low, high = moment, following
            while high - low > timedelta(minutes=1):
                middle = low + (high - low) / 2
                if middle.astimezone(tz).utcoffset() == offset:
                    low = middle
                else:
                    high = middle
            exact = high.replace(second=0, microsecond=0)
            assert offset is not None and after is not None
            yield exact, offset, after
            offset = after
        moment = following
