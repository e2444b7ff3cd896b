"""What the loaded data covers: counts, states and dates, so no one mistakes a sample for all."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session, col

from locator.models import Facility, FacilitySource, ImportRun
from locator.places.states import state_name


@dataclass(frozen=True, slots=True)
class SourceCoverage:
    """The active listings of one source as the store holds them."""

    source: str
    note: str
    facilities: int
    states: tuple[str, ...]
    oldest: date
    newest: date


@dataclass(frozen=True, slots=True)
class Coverage:
    """Everything the home page says about the data."""

    facilities: int
    states: tuple[str, ...]
    sources: tuple[SourceCoverage, ...]

    @property
    def state_names(self) -> list[str]:
        return [state_name(code) for code in self.states]


def facility_coverage(*, session: Session) -> Coverage:
    """Summarise the active facilities, and each source's active listings: how many, which
    states, seen when (a site several sources list counts once in the total)."""
    total, states = _facility_totals(session)
    rows = session.execute(
        select(
            col(FacilitySource.source),
            col(FacilitySource.source_note),
            col(FacilitySource.state),
            func.count(),
            func.min(FacilitySource.last_seen),
            func.max(FacilitySource.last_seen),
        )
        .where(col(FacilitySource.active))
        .group_by(
            col(FacilitySource.source), col(FacilitySource.source_note), col(FacilitySource.state)
        )
    ).all()
    grouped: dict[tuple[str, str], list[tuple[str, int, date, date]]] = {}
    for source, note, state, count, oldest, newest in rows:
        grouped.setdefault((source, note), []).append((state, count, oldest, newest))
    sources = tuple(
        SourceCoverage(
            source=source,
            note=note,
            facilities=sum(r[1] for r in parts),
            states=tuple(sorted({r[0] for r in parts})),
            oldest=min(r[2] for r in parts),
            newest=max(r[3] for r in parts),
        )
        for (source, note), parts in sorted(grouped.items())
    )
    return Coverage(total, states, sources)


def _facility_totals(session: Session) -> tuple[int, tuple[str, ...]]:
    rows = session.execute(
        select(col(Facility.state), func.count())
        .where(col(Facility.active))
        .group_by(col(Facility.state))
    ).all()
    return sum(count for _, count in rows), tuple(sorted(state for state, _ in rows))


class CoverageCache:
    """Remember the coverage summary until an import run starts or finishes.

    The summary groups every active facility (~100 ms at 100k rows) and the home page shows
    it on every visit; only imports change it, and each one writes an ImportRun row.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: tuple[int | None, datetime | None] | None = None
        self._value: Coverage | None = None

    def get(self, *, session: Session) -> Coverage:
        """Return the coverage, recomputed only if an import ran since the last call."""
        row = session.execute(select(func.max(ImportRun.id), func.max(ImportRun.finished_at))).one()
        version = (row[0], row[1])
        with self._lock:
            if self._value is not None and self._version == version:
                return self._value
        value = facility_coverage(session=session)
        with self._lock:
            self._version, self._value = version, value
        return value
