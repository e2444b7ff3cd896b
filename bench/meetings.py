"""Meeting search latency at national scale, next to baselines measured in the same run.

Loads N synthetic meetings (default 60,000: three quarters at venues scattered around US
ZIP centroids, a quarter online, zones from the gazetteer) into a temporary database through
the real import pipeline. They exist only there. Then times:

  (a) near a place, 10 miles, any day and Monday evening, nearest first, four cities
      (locator.meeting_search);
  (b) baseline for (a): the same filters as one SQL statement that ranks every row by the
      dot product, no spatial index (a full scan);
  (c) online meetings starting in the next 24 hours: candidates counted per (zone, weekday,
      minute) in SQL and each group's next start computed once (locator.meetings.times
      .StartClock), then only the page's rows read;
  (d) baselines for (c): the previous way, every candidate row read and its next start
      computed per meeting with zoneinfo; and every online/hybrid meeting loaded through the
      ORM and sorted in Python.

Figures are p50/p95 in milliseconds and the ratios baseline / ours from the same run.
Run: .venv/bin/python bench/meetings.py [--rows 60000] [--url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time as clock
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlmodel import Session, col

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from locator.db import make_engine, migrate
from locator.meetings.search import SOON_HOURS, MeetingQuery, find_meetings, meeting_conditions
from locator.meetings.times import next_occurrence
from locator.models import Meeting
from locator.places.gazetteer import embedded_gazetteer
from locator.places.geo import Point, unit_vector
from scrapers.base import run_import
from scrapers.meetings import MeetingRecord, MeetingWriter

NOW = datetime(2026, 7, 6, 22, 0, tzinfo=UTC)
ORIGINS = [Point(38.03, -78.48), Point(40.71, -74.0), Point(41.88, -87.63), Point(34.05, -118.24)]


def records(count: int, seed: int = 4) -> list[MeetingRecord]:
    rng = random.Random(seed)
    zips = [p for p in (embedded_gazetteer().zip(f"{n:05d}") for n in range(1000, 99999, 7)) if p]
    found = []
    for index in range(count):
        place = rng.choice(zips)
        online = index % 4 == 0
        found.append(
            MeetingRecord(
                key=f"bench-{index}",
                fellowship=rng.choice(["NA", "AA", "SMART"]),
                name=f"Bench meeting {index}",
                weekday=rng.randrange(7),
                start_time=time(rng.randrange(6, 22), rng.choice([0, 15, 30])),
                source_url="https://bench.invalid/",
                time_zone=place.time_zone or "America/New_York",
                attendance="online" if online else rng.choice(["in_person"] * 4 + ["hybrid"]),
                latitude=None if online else place.point.lat + rng.uniform(-0.05, 0.05),
                longitude=None if online else place.point.lon + rng.uniform(-0.05, 0.05),
                formats=tuple(rng.sample(["O", "C", "X", "D", "SP", "S"], 2)),
            )
        )
    return found


def find_meetings_total(engine: Engine) -> int:
    with Session(engine) as session:
        query = MeetingQuery(origin=None, order="soon", now=NOW)
        return find_meetings(session=session, query=query).total


def timed(run: Callable[[], object], repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        start = clock.perf_counter()
        run()
        times.append((clock.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def near_ours(engine: Engine, origin: Point, filtered: bool = True) -> object:
    with Session(engine) as session:
        query = MeetingQuery(origin=origin, radius=10)
        if filtered:
            query = MeetingQuery(origin=origin, radius=10, weekdays=(1,), times_of_day=("evening",))
        return find_meetings(session=session, query=query).hits


def near_scan(engine: Engine, origin: Point, filtered: bool = True) -> object:
    ux, uy, uz = unit_vector(origin.lat, origin.lon)
    when = "AND weekday = 1 AND start_minute >= 1020 AND start_minute < 1260 " if filtered else ""
    sql = text(
        "SELECT id, geo_x * :ux + geo_y * :uy + geo_z * :uz AS dot FROM meeting "
        f"WHERE active AND attendance IN ('in_person', 'hybrid') {when}AND geo_x IS NOT NULL "
        "AND geo_x * :ux + geo_y * :uy + geo_z * :uz >= :cut ORDER BY dot DESC LIMIT 25"
    )
    with engine.connect() as conn:
        return conn.execute(sql, {"ux": ux, "uy": uy, "uz": uz, "cut": 0.99999753}).all()


def soon_ours(engine: Engine) -> object:
    with Session(engine) as session:
        return find_meetings(
            session=session, query=MeetingQuery(origin=None, order="soon", now=NOW)
        ).hits


def soon_per_meeting(engine: Engine) -> tuple[list[tuple[datetime, int]], int]:
    """The previous "starting soon": read every candidate, one next start per meeting."""
    query = MeetingQuery(origin=None, order="soon", now=NOW)
    conditions, params = meeting_conditions(query)
    sql = text(
        "SELECT t.id, t.weekday, t.start_minute, t.time_zone FROM meeting t WHERE "
        + " AND ".join(conditions)
    )
    horizon = NOW + timedelta(hours=SOON_HOURS)
    with engine.connect() as conn:
        found = []
        for row_id, weekday, minute, zone_name in conn.execute(sql, params):
            if weekday is None or minute is None:
                continue
            start = next_occurrence(weekday, time(minute // 60, minute % 60), zone_name, NOW)
            if start is not None and start <= horizon:
                found.append((start.astimezone(UTC), row_id))
        found.sort()
        return found[:25], len(found)


def soon_orm(engine: Engine) -> object:
    with Session(engine) as session:
        rows = session.scalars(
            select(Meeting).where(
                col(Meeting.active), col(Meeting.attendance).in_(["online", "hybrid"])
            )
        ).all()
        timed_rows = [
            (start, m.id)
            for m in rows
            if m.weekday is not None
            and m.start_time is not None
            and (start := next_occurrence(m.weekday, m.start_time, m.time_zone, NOW)) is not None
        ]
        return sorted(timed_rows)[:25]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--url", default="", help="a scratch database URL (default: temp SQLite)")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    engine = make_engine(args.url or f"sqlite:///{folder.name}/bench.db")
    migrate(engine)
    started = clock.perf_counter()
    report = run_import(
        engine,
        source="bench",
        items=records(args.rows),
        writer=MeetingWriter(source="bench", source_note="Benchmark rows."),
        seen_on=date(2026, 7, 1),
    )
    print(
        f"{engine.dialect.name}: imported {report.inserted} meetings in "
        f"{clock.perf_counter() - started:.1f}s"
    )
    if engine.dialect.name == "postgresql":
        # As autovacuum would on a live database: statistics, and the visibility map that
        # lets "starting soon" count from ix_meeting_schedule alone (an index-only scan).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE meeting"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))  # as autovacuum would on a live database
    cases = [
        (
            "near 10 mi, any day",
            lambda: [near_ours(engine, o, False) for o in ORIGINS],
            lambda: [near_scan(engine, o, False) for o in ORIGINS],
        ),
        (
            "near 10 mi, Monday evening",
            lambda: [near_ours(engine, o) for o in ORIGINS],
            lambda: [near_scan(engine, o) for o in ORIGINS],
        ),
        (
            "online, starting soon",
            lambda: soon_ours(engine),
            lambda: soon_per_meeting(engine),
        ),
        ("online, soon (ORM baseline)", lambda: soon_ours(engine), lambda: soon_orm(engine)),
    ]
    ours_total = find_meetings_total(engine)
    previous_total = soon_per_meeting(engine)[1]
    print(f"online starting soon: {ours_total} meetings (previous way: {previous_total})")
    for name, ours, baseline in cases:
        ours_p50, ours_p95 = timed(ours, args.repeat)
        base_p50, base_p95 = timed(baseline, max(3, args.repeat // 5))
        print(
            f"{name:28s} ours p50 {ours_p50:7.2f} ms p95 {ours_p95:7.2f} | baseline p50 "
            f"{base_p50:7.2f} ms p95 {base_p95:7.2f} | baseline/ours {base_p50 / ours_p50:5.1f}x"
        )
    if args.url:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM meeting WHERE source = 'bench'"))
    engine.dispose()
    folder.cleanup()


if __name__ == "__main__":
    main()
