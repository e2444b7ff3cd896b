"""What /healthz reports: can the database be reached, and how fresh is each source's data.

A source is stale when its last successful import (status ok or partial) is older than
``health_stale_factor`` times the longest gap of its cron schedule, e.g. 14 days for the
weekly SAMHSA refresh. A source whose job is off is listed but never stale.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from sqlmodel import col

from locator.config import Settings
from locator.models import Facility, ImportRun, Meeting, StateLaw

# Source name as the importers write it on ImportRun -> the cron line of its job, empty when
# the job is off or has nothing to do (no feeds configured, SMART not enabled).
SOURCE_SCHEDULES: dict[str, Callable[[Settings], str]] = {
    "samhsa": lambda s: s.schedule_samhsa,
    "bmlt": lambda s: s.schedule_bmlt,
    "meeting-guide": lambda s: s.schedule_meeting_guide if s.meeting_guide_feeds else "",
    "smart": lambda s: s.schedule_smart if s.smart_enabled else "",
    "kratom-law": lambda s: s.schedule_laws,
}
SUCCESS = ("ok", "partial")
# The primary key of each table the pages read: one row of each is a cheap real read.
MAIN_TABLE_KEYS = (col(Facility.id), col(Meeting.id), col(StateLaw.state))


@dataclass(frozen=True, slots=True)
class DatabaseCheck:
    """Whether a trivial query answered, and how long it took."""

    reachable: bool
    latency_ms: float | None


def check_database(engine: Engine) -> DatabaseCheck:
    """Read one row of each main table and time it; any database error means unreachable.

    ``SELECT 1`` touches no table: it answered on a corrupted SQLite file while every page
    failed. One indexed row per table is as cheap and reads the pages the site needs.
    """
    started = time.perf_counter()
    try:
        with engine.connect() as connection:
            for key in MAIN_TABLE_KEYS:
                connection.execute(select(key).limit(1)).all()
    except SQLAlchemyError:
        return DatabaseCheck(reachable=False, latency_ms=None)
    return DatabaseCheck(True, round((time.perf_counter() - started) * 1000, 2))


def schedule_gap(cron: str, zone: str, now: datetime) -> timedelta:
    """Return the longest time between two runs of a cron line over its next eight runs."""
    trigger = CronTrigger.from_crontab(cron, timezone=zone)
    fires: list[datetime] = []
    previous: datetime | None = None
    moment = now
    for _ in range(9):
        found = trigger.get_next_fire_time(previous, moment)
        if found is None:
            break
        fires.append(found)
        previous, moment = found, found + timedelta(seconds=1)
    gaps = [b - a for a, b in pairwise(fires)]
    return max(gaps, default=timedelta(days=1))


def last_successes(session: Session) -> dict[str, datetime]:
    """Return source -> when its newest successful import finished (UTC)."""
    rows = session.execute(
        select(col(ImportRun.source), func.max(ImportRun.finished_at))
        .where(col(ImportRun.status).in_(SUCCESS))
        .group_by(col(ImportRun.source))
    ).all()
    return {source: _as_utc(finished) for source, finished in rows if finished is not None}


def source_freshness(session: Session, settings: Settings, now: datetime) -> list[dict[str, Any]]:
    """Describe each scheduled source: last success, its age and whether it is stale."""
    found = last_successes(session)
    return [
        _describe(source, found.get(source), settings, now)
        for source in sorted(set(SOURCE_SCHEDULES) | set(found))
        if source in SOURCE_SCHEDULES  # snapshot and sample loads are not refreshed sources
    ]


def _describe(
    source: str, last: datetime | None, settings: Settings, now: datetime
) -> dict[str, Any]:
    cron = SOURCE_SCHEDULES[source](settings).strip()
    scheduled = bool(cron)
    limit: timedelta | None = None
    if scheduled:
        gap = schedule_gap(cron, settings.scheduler_timezone, now)
        limit = gap * settings.health_stale_factor
    age = now - last if last is not None else None
    return {
        "source": source,
        "scheduled": scheduled,
        "last_success": last.isoformat() if last is not None else None,
        "age_hours": round(age.total_seconds() / 3600, 2) if age is not None else None,
        "max_age_hours": round(limit.total_seconds() / 3600, 2) if limit is not None else None,
        "stale": limit is not None and (age is None or age > limit),
    }


def _as_utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; the models store UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
