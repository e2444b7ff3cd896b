"""Meeting search: weekday, time and zone math across DST, near and online, filters."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from locator.errors import BadQueryError
from locator.meetings.search import MeetingQuery, find_meetings
from locator.meetings.times import minutes_between, next_occurrence, shown
from locator.places.geo import Point
from tests.utils.meetings import add_meetings, meeting

NY, LA, PHOENIX = "America/New_York", "America/Los_Angeles", "America/Phoenix"
CHARLOTTESVILLE = Point(38.03, -78.48)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_a_new_york_evening_meeting_moves_in_utc_across_the_spring_change() -> None:
    monday_7pm = (1, time(19, 0), NY)
    before = next_occurrence(*monday_7pm, utc(2026, 3, 2, 12))  # EST
    after = next_occurrence(*monday_7pm, utc(2026, 3, 9, 12))  # EDT since 8 March
    assert before.astimezone(UTC) == utc(2026, 3, 3, 0)  # Tuesday 00:00 UTC
    assert after.astimezone(UTC) == utc(2026, 3, 9, 23)


def test_a_viewer_in_arizona_sees_the_same_meeting_an_hour_apart_in_winter_and_summer() -> None:
    winter = next_occurrence(1, time(19, 0), NY, utc(2026, 1, 5, 12))
    summer = next_occurrence(1, time(19, 0), NY, utc(2026, 7, 6, 12))
    assert str(shown(winter, PHOENIX)) == "Monday 5:00 pm MST"
    assert str(shown(summer, PHOENIX)) == "Monday 4:00 pm MST"


def test_a_start_in_the_spring_forward_gap_keeps_its_hour_before_the_change() -> None:
    start = next_occurrence(0, time(2, 30), NY, utc(2026, 3, 8, 0))
    assert start.astimezone(UTC) == utc(2026, 3, 8, 7, 30)  # 2:30 EST, i.e. 3:30 EDT


def test_the_autumn_repeated_hour_is_read_as_its_first_occurrence() -> None:
    start = next_occurrence(0, time(1, 30), NY, utc(2026, 11, 1, 0))
    assert start.astimezone(UTC) == utc(2026, 11, 1, 5, 30)  # 1:30 EDT, the first 1:30


def test_a_saturday_night_meeting_is_half_an_hour_away_on_utc_sunday_morning() -> None:
    now = utc(2026, 1, 11, 7, 0)  # Saturday 23:00 PST
    start = next_occurrence(6, time(23, 30), LA, now)
    assert minutes_between(now, start) == 30


def test_a_meeting_that_just_started_still_counts_as_now() -> None:
    now = utc(2026, 7, 6, 23, 5)  # Monday 19:05 EDT
    start = next_occurrence(1, time(19, 0), NY, now)
    assert minutes_between(now, start) == -5


def test_unknown_zone_gives_no_next_start() -> None:
    assert next_occurrence(1, time(19, 0), "", utc(2026, 7, 6)) is None


@pytest.fixture
def stocked(empty_engine: Engine) -> Engine:
    add_meetings(
        empty_engine,
        meeting("near-in-person", formats=("O", "X")),
        meeting("near-hybrid", attendance="hybrid", formats=("C",), start="21:30"),
        meeting("far", lat=40.71, lon=-74.0),
        meeting("online-ny", attendance="online", start="20:00"),
        meeting("online-la", attendance="online", start="18:00", zone=LA),
        meeting("closed-venue", attendance="inactive"),
        meeting("aa-near", fellowship="AA", start="07:00"),
    )
    return empty_engine


def search(engine: Engine, **options) -> list[str]:
    with Session(engine) as session:
        page = find_meetings(session=session, query=MeetingQuery(**options))
        return [hit.meeting.source_key for hit in page.hits]


def test_near_search_lists_in_person_and_hybrid_nearest_first(stocked: Engine) -> None:
    found = search(stocked, origin=CHARLOTTESVILLE, radius=10)
    assert set(found) == {"near-in-person", "near-hybrid", "aa-near"}


def test_online_search_lists_online_and_hybrid_from_anywhere(stocked: Engine) -> None:
    now = utc(2026, 7, 6, 23, 30)  # Monday 19:30 EDT, 16:30 PDT
    found = search(stocked, origin=None, order="soon", now=now)
    # online-ny 20:00 EDT = 00:00 UTC; online-la 18:00 PDT = 01:00 UTC;
    # near-hybrid 21:30 EDT = 01:30 UTC
    assert found == ["online-ny", "online-la", "near-hybrid"]


def test_starting_soon_uses_each_meeting_zone_in_winter_too(stocked: Engine) -> None:
    now = utc(2026, 1, 6, 0, 30)  # Monday 19:30 EST, 16:30 PST
    found = search(stocked, origin=None, order="soon", now=now)
    assert found == ["online-ny", "online-la", "near-hybrid"]  # 01:00, 02:00, 02:30 UTC


def test_weekday_filter_is_in_the_meeting_local_day(stocked: Engine) -> None:
    # online-la is Monday 18:00 in Los Angeles, which is Tuesday in UTC.
    assert "online-la" in search(stocked, origin=None, weekdays=(1,))
    assert search(stocked, origin=None, weekdays=(2,)) == []


def test_time_of_day_and_formats_filter_inside_the_radius(stocked: Engine) -> None:
    assert search(stocked, origin=CHARLOTTESVILLE, radius=10, times_of_day=("morning",)) == [
        "aa-near"
    ]
    assert search(stocked, origin=CHARLOTTESVILLE, radius=10, times_of_day=("night",)) == [
        "near-hybrid"
    ]
    assert search(stocked, origin=CHARLOTTESVILLE, radius=10, formats=("open", "wheelchair")) == [
        "near-in-person"
    ]
    assert search(stocked, origin=CHARLOTTESVILLE, radius=10, fellowships=("AA",)) == ["aa-near"]


def test_temporarily_closed_meetings_are_not_offered(stocked: Engine) -> None:
    assert "closed-venue" not in search(stocked, origin=CHARLOTTESVILLE, radius=10)


def test_wheelchair_access_is_not_claimed_for_online_meetings() -> None:
    from scrapers.meetings import without_venue_formats

    online = without_venue_formats(meeting("x", attendance="online", formats=("O", "X", "XB")))
    assert online.formats == ("O",)


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"origin": CHARLOTTESVILLE, "radius": 0}, "radius"),
        ({"origin": None, "fellowships": ("XX",)}, "fellowship"),
        ({"origin": None, "weekdays": (7,)}, "day"),
        ({"origin": None, "attendance": ("in_person",)}, "attendance"),
        ({"origin": None, "formats": ("fancy",)}, "format"),
        ({"origin": None, "times_of_day": ("brunch",)}, "time"),
    ],
)
def test_bad_filters_are_refused_with_the_field_named(options, field) -> None:
    with pytest.raises(BadQueryError) as caught:
        MeetingQuery(**options)
    assert caught.value.field == field


def test_calendar_for_a_zone_without_daylight_saving_has_one_standard_observance() -> None:
    from locator.meetings.ics import CalendarMeeting, calendar

    start = next_occurrence(3, time(18, 0), PHOENIX, utc(2026, 7, 6))
    text = calendar(
        CalendarMeeting("uid-1", "Test meeting; Phoenix", start, PHOENIX, 90, "", "", "Test."),
        stamp=utc(2026, 7, 6),
    )
    assert text.count("BEGIN:STANDARD") == 1 and "BEGIN:DAYLIGHT" not in text
    assert "TZOFFSETFROM:-0700\r\nTZOFFSETTO:-0700" in text
    assert "DTEND;TZID=America/Phoenix:20260708T193000" in text
    assert "SUMMARY:Test meeting\\; Phoenix" in text


def test_a_chosen_day_outside_the_next_24_hours_still_lists_its_online_meetings(
    stocked: Engine,
) -> None:
    # Wednesday noon UTC: the stocked meetings are on Mondays, five days away. Asking for
    # Monday must list them (next Monday), not nothing because Monday is not "soon".
    now = utc(2026, 7, 8, 12, 0)
    found = search(stocked, origin=None, order="soon", now=now, weekdays=(1,))
    assert found == ["online-ny", "online-la", "near-hybrid"]
    assert search(stocked, origin=None, order="soon", now=now) == []
