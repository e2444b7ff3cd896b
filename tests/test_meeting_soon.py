""" "Starting soon" computed per zone group, and meetings that give no zone still listed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from locator.meetings.search import MeetingQuery, find_meetings
from locator.meetings.times import StartClock, next_occurrence
from tests.utils.meetings import add_meetings, meeting

# Zones with daylight saving north and south, half-hour and 45-minute offsets, none at all.
ZONES = (
    "America/New_York",
    "America/Phoenix",
    "Europe/Berlin",
    "Australia/Lord_Howe",
    "Pacific/Chatham",
    "Asia/Kolkata",
    "America/St_Johns",
)
# Moments close to the 2026 changes (US Mar 8 / Nov 1, EU Mar 29 / Oct 25, AU Apr 5).
CHANGES = (
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 4, 4, 15, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
)


def test_group_arithmetic_gives_the_same_start_as_zoneinfo_per_meeting() -> None:
    rng = random.Random(17)
    for _ in range(400):
        now = rng.choice(CHANGES) + timedelta(minutes=rng.randrange(-4000, 4000))
        clock = StartClock(now)
        for name in ZONES:
            weekday, minute = rng.randrange(7), rng.randrange(24 * 60)
            exact = next_occurrence(weekday, time(minute // 60, minute % 60), name, now)
            assert exact is not None
            assert clock.start(name, weekday, minute) == int(exact.timestamp()), (now, name)
    assert StartClock(CHANGES[0]).start("", 1, 60) is None


@pytest.fixture
def online(empty_engine: Engine) -> Engine:
    rows = [
        meeting(f"ny-{n}", attendance="online", start=f"{18 + n % 4}:{15 * (n % 4):02d}")
        for n in range(12)
    ]
    rows += [meeting(f"berlin-{n}", attendance="online", zone="Europe/Berlin") for n in range(5)]
    rows += [meeting(f"nozone-{n}", attendance="online", zone="") for n in range(3)]
    add_meetings(empty_engine, *rows)
    return empty_engine


def page(engine: Engine, **options):
    with Session(engine) as session:
        return find_meetings(session=session, query=MeetingQuery(origin=None, **options))


def test_pages_of_starting_soon_follow_each_other_without_gaps_or_repeats(online) -> None:
    now = datetime(2026, 7, 6, 12, 0, tzinfo=UTC)  # Monday morning in New York
    whole = page(online, order="soon", now=now, per_page=50)
    assert whole.total == 17 and len(whole.hits) == 17
    starts = [hit.next_start.astimezone(UTC) for hit in whole.hits]
    assert starts == sorted(starts)
    paged = [
        hit.meeting.source_key
        for number in range(1, 5)
        for hit in page(online, order="soon", now=now, per_page=5, page=number).hits
    ]
    assert paged == [hit.meeting.source_key for hit in whole.hits]


def test_meetings_without_a_zone_are_counted_and_listed_not_dropped(online) -> None:
    now = datetime(2026, 7, 6, 12, 0, tzinfo=UTC)
    soon = page(online, order="soon", now=now, per_page=50)
    assert soon.unzoned == 3
    assert not any(hit.meeting.source_key.startswith("nozone") for hit in soon.hits)
    listed = page(online, order="soon", now=now, zone_unknown=True)
    assert sorted(hit.meeting.source_key for hit in listed.hits) == [
        "nozone-0",
        "nozone-1",
        "nozone-2",
    ]
    assert all(hit.next_start is None for hit in listed.hits)
    monday = page(online, order="soon", now=now, weekdays=(1,), per_page=50)
    assert [h.meeting.source_key for h in monday.hits][-3:] == ["nozone-0", "nozone-1", "nozone-2"]
