"""What the loaded meetings cover, by source: counts and dates, so a sample reads as one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlmodel import Session, col

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
