""" "Starting soon" computed per zone group, and meetings that give no zone still listed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta
from typing import Any

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


def test_starting_soon_misses_no_meeting_in_the_extreme_zones(empty_engine: Engine) -> None:
    rng = random.Random(7)
    zones = ("Etc/GMT+12", "Pacific/Kiritimati", "Pacific/Chatham", "America/New_York")
    rows = [
        meeting(
            f"m{n}",
            attendance="online",
            zone=zones[n % 4],
            weekday=rng.randrange(7),
            start=f"{rng.randrange(24):02d}:{rng.randrange(60):02d}",
        )
        for n in range(160)
    ]
    add_meetings(empty_engine, *rows)
    for now in (CHANGES[0], CHANGES[3], datetime(2026, 7, 8, 23, 55, tzinfo=UTC)):
        horizon = now + timedelta(hours=24)
        expected = set()
        for row in rows:
            start = next_occurrence(row.weekday, row.start_time, row.time_zone, now)
            if start is not None and start <= horizon:
                expected.add(row.key)
        found = page(empty_engine, order="soon", now=now, per_page=200)
        assert {hit.meeting.source_key for hit in found.hits} == expected, now
        assert found.total == len(expected)


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


# -- the pages: truthful headings, the order used, coverage and a way out ---------------------


@pytest.fixture
def web(app):
    from tests.utils.meetings import add_meetings

    engine = app.extensions["engine"]
    add_meetings(
        engine,
        meeting("online-sun", attendance="online", weekday=0, start="10:00"),
        meeting("online-nozone", attendance="online", weekday=0, zone=""),
        meeting("venue", weekday=2, start="19:00"),
    )
    return app.test_client()


def soup(response: Any) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.data, "html.parser")


def test_a_chosen_day_is_headed_with_that_day_not_the_next_24_hours(web) -> None:
    page = soup(web.get("/meetings/?mode=online&day=0"))
    heading = page.select_one("#results-heading").get_text(" ", strip=True)
    assert heading == "2 online meetings on Sunday"
    assert page.select_one("#order option[selected]")["value"] == "soon"
    assert "soonest first" in page.select_one(".order-used").get_text()


def test_the_order_box_shows_the_order_used_for_online_meetings(web) -> None:
    page = soup(web.get("/meetings/?mode=online&order=distance"))  # online has no distance
    assert page.select_one("#order option[selected]")["value"] == "soon"
    heading = page.select_one("#results-heading").get_text(" ", strip=True)
    assert heading.endswith("starting in the next 24 hours")


def test_meetings_without_a_zone_are_listed_with_a_plain_warning(web) -> None:
    page = soup(web.get("/meetings/?mode=online&time_zone=unknown"))
    heading = page.select_one("#results-heading").get_text(" ", strip=True)
    assert heading == "1 online meeting that gives no time zone"
    (result,) = page.select("li.result.meeting")
    assert "time zone not given — check with the group" in result.get_text()
    assert web.get("/meetings/?mode=online&time_zone=Europe").status_code == 400
    api = web.get("/api/v1/meetings?mode=online&time_zone=unknown").json
    (row,) = api["results"]
    assert row["time_zone"] is None and row["next_start"] is None
    assert row["time_zone_note"] == "time zone not given — check with the group"


def test_coverage_names_fellowships_areas_and_dates_and_the_official_finders(web) -> None:
    page = soup(web.get("/meetings/"))
    line = page.select_one(".fellowship-coverage li").get_text(" ", strip=True)
    assert line.startswith("Narcotics Anonymous : 3 meetings")
    assert "2 online" in line and "1 without a time zone" in line and "as of 2026-11-01" in line
    links = {a.get_text(strip=True): a["href"] for a in page.select(".finders a")}
    assert links == {
        "Narcotics Anonymous": "https://www.na.org/meetingsearch/",
        "Alcoholics Anonymous": "https://www.aa.org/find-aa",
        "SMART Recovery": "https://meetings.smartrecovery.org/meetings/",
        "Recovery Dharma": "https://recoverydharma.org/meetings/",
    }
    body = web.get("/api/v1/coverage").json["meetings"]
    (na,) = body["fellowships"]
    assert (na["fellowship"], na["meetings"], na["online"], na["without_time_zone"]) == (
        "NA",
        3,
        2,
        1,
    )
    assert len(body["finders"]) == 4


def test_a_place_in_another_country_is_told_place_search_covers_the_us(web) -> None:
    response = web.get("/meetings/?mode=near&near=Berlin,+Germany")
    assert response.status_code == 400
    text = soup(response).select_one(".error").get_text(" ", strip=True)
    assert "covers the United States only" in text and "Berlin, CT" not in text
    api = web.get("/api/v1/meetings?mode=near&near=Berlin,+Germany")
    assert api.status_code == 400


def test_the_starting_soon_link_appears_only_when_some_exist(web) -> None:
    empty = soup(web.get("/meetings/?mode=online&day=3"))  # nothing on Wednesdays
    assert empty.select_one("#results-heading").get_text(" ", strip=True).startswith("0 ")
    text = empty.select_one(".results").get_text(" ", strip=True)
    assert "Try a larger distance" not in text
    from locator.views.meetings import online_meetings_soon

    with web.application.test_request_context():
        soon = online_meetings_soon()
    links = empty.select(".results a[href*='order=soon']")
    assert bool(links) == bool(soon)
