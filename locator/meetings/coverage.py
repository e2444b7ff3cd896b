"""What the loaded meetings cover: by source (so a sample reads as one) and by fellowship
(US states, online, elsewhere) with dates, and each fellowship's own finder for the rest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import case, func, select
from sqlmodel import Session, col

from locator.meetings.types import FINDERS
from locator.models import Meeting


@dataclass(frozen=True, slots=True)
class MeetingSource:
    """The active meetings of one source and note."""

    source: str
    note: str
    meetings: int
    oldest: date
    newest: date

    @property
    def sample(self) -> bool:
        """Tell whether the rows are the embedded sample (its notes start with "Sample")."""
        return self.note.startswith("Sample")


def meeting_coverage(*, session: Session) -> list[MeetingSource]:
    """Return the active meetings grouped by source and note, largest first."""
    rows = session.execute(
        select(
            col(Meeting.source),
            col(Meeting.source_note),
            func.count(),
            func.min(Meeting.last_seen),
            func.max(Meeting.last_seen),
        )
        .where(col(Meeting.active))
        .group_by(col(Meeting.source), col(Meeting.source_note))
        .order_by(func.count().desc())
    )
    return [
        MeetingSource(source, note, count, _day(oldest), _day(newest))
        for source, note, count, oldest, newest in rows
    ]


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


@dataclass(frozen=True, slots=True)
class FellowshipCoverage:
    """Where one fellowship's loaded meetings are: US states, online, elsewhere; how fresh."""

    fellowship: str
    meetings: int
    online: int
    states: tuple[tuple[str, int], ...]  # in person or hybrid, by US state, largest first
    elsewhere: int  # in person with no US state: outside the US, or no state given
    no_time_zone: int
    newest: date


def fellowship_coverage(*, session: Session) -> list[FellowshipCoverage]:
    """Return, per fellowship, the areas its listed meetings cover and when last seen."""
    online = case((col(Meeting.attendance) == "online", 1), else_=0)
    no_zone = case((col(Meeting.time_zone) == "", 1), else_=0)
    rows = session.execute(
        select(
            col(Meeting.fellowship),
            col(Meeting.state),
            online,
            func.count(),
            func.sum(no_zone),
            func.max(Meeting.last_seen),
        )
        .where(
            col(Meeting.active),
            col(Meeting.duplicate_of).is_(None),
            col(Meeting.attendance) != "inactive",
        )
        .group_by(col(Meeting.fellowship), col(Meeting.state), online)
    )
    found: dict[str, dict[str, Any]] = {}
    for fellowship, state, is_online, count, unzoned, newest in rows:
        entry = found.setdefault(
            fellowship,
            {
                "meetings": 0,
                "online": 0,
                "states": {},
                "elsewhere": 0,
                "no_zone": 0,
                "newest": None,
            },
        )
        entry["meetings"] += count
        entry["no_zone"] += int(unzoned or 0)
        if is_online:
            entry["online"] += count
        elif state:
            entry["states"][state] = entry["states"].get(state, 0) + count
        else:
            entry["elsewhere"] += count
        day = _day(newest)
        entry["newest"] = max(day, entry["newest"] or day)
    return sorted(
        (
            FellowshipCoverage(
                code,
                e["meetings"],
                e["online"],
                tuple(sorted(e["states"].items(), key=lambda item: (-item[1], item[0]))),
                e["elsewhere"],
                e["no_zone"],
                e["newest"],
            )
            for code, e in found.items()
        ),
        key=lambda c: -c.meetings,
    )


def coverage_json(*, session: Session) -> dict[str, Any]:
    """Return the meetings part of /api/v1/coverage: sources, fellowships, areas, dates."""
    return {
        "sources": [
            {
                "source": s.source,
                "note": s.note,
                "meetings": s.meetings,
                "sample": s.sample,
                "last_seen_oldest": s.oldest.isoformat(),
                "last_seen_newest": s.newest.isoformat(),
            }
            for s in meeting_coverage(session=session)
        ],
        "fellowships": [
            {
                "fellowship": f.fellowship,
                "meetings": f.meetings,
                "online": f.online,
                "states": [{"state": state, "meetings": n} for state, n in f.states],
                "in_person_outside_us_states": f.elsewhere,
                "without_time_zone": f.no_time_zone,
                "last_seen_newest": f.newest.isoformat(),
            }
            for f in fellowship_coverage(session=session)
        ],
        "finders": [{"fellowship": f.fellowship, "name": f.name, "url": f.url} for f in FINDERS],
    }
