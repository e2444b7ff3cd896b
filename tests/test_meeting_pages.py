"""Meeting pages, the .ics download, the API and the CLI, on the embedded real sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlmodel import Session

from locator.cli import cli
from locator.models import Meeting
from scrapers.meeting_snapshot import seed_meetings
from tests.conftest import make_app
from tests.utils.meetings import BMLT, SMART, TSML


@pytest.fixture
def meeting_app(db_url: str) -> Iterator[Flask]:
    app = make_app(db_url)
    seed_meetings(app.extensions["engine"])
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def web(meeting_app: Flask) -> FlaskClient:
    return meeting_app.test_client()


def first_id(app: Flask, name: str) -> int:
    with Session(app.extensions["engine"]) as session:
        return session.scalars(select(Meeting.id).where(Meeting.name == name)).one()


def soup(response) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def test_meetings_near_geneva_show_times_in_both_zones_and_say_it_is_a_sample(web) -> None:
    page = soup(web.get("/meetings/?near=Geneva,+NY&radius=25&tz=America/Los_Angeles"))
    results = page.select("li.result.meeting")
    assert len(results) == 4
    first = results[0]
    assert first.select_one("h3").get_text(strip=True) == "Step up and Be Free"
    assert "9.4 mi away" in first.select_one(".kind").get_text()
    assert "Mondays 7:00 pm" in first.select_one(".when").get_text()
    assert "your time" in first.select_one(".next").get_text()
    assert "Sample, not current listings" in first.select_one(".provenance").get_text()
    assert "Coverage is a sample" in page.select_one(".coverage").get_text()
    assert page.select_one("[role=status]").get_text(strip=True).startswith("4 meetings within 25")


def test_meeting_page_has_map_link_calendar_and_source(web, meeting_app) -> None:
    meeting_id = first_id(meeting_app, "Step up and Be Free")
    page = soup(web.get(f"/meetings/{meeting_id}"))
    links = {a.get_text(strip=True): a["href"] for a in page.select("ul.contact a")}
    assert links["Map and directions"].startswith("https://www.google.com/maps/dir/")
    assert links["Add to calendar (.ics)"] == f"/meetings/{meeting_id}.ics"
    assert "988" in page.select_one(".crisis").get_text()
    assert "Not medical or legal advice" in page.select_one(".disclaimer").get_text()


def test_hybrid_meeting_page_offers_the_join_link(web, meeting_app) -> None:
    meeting_id = first_id(meeting_app, "Eye Opener O/STS/WC Hybrid")
    page = soup(web.get(f"/meetings/{meeting_id}"))
    join = page.find("a", string="Join online")
    assert join["href"].startswith("https://us02web.zoom.us/j/")
    assert "In person and online" in page.select_one(".kind").get_text()


def test_ics_is_a_weekly_event_in_the_meeting_zone(web, meeting_app) -> None:
    meeting_id = first_id(meeting_app, "Step up and Be Free")
    response = web.get(f"/meetings/{meeting_id}.ics")
    assert response.mimetype == "text/calendar"
    text = response.data.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "RRULE:FREQ=WEEKLY;BYDAY=MO\r\n" in text
    assert "DTSTART;TZID=America/New_York:" in text and "T190000\r\n" in text
    assert "BEGIN:VTIMEZONE\r\nTZID:America/New_York" in text
    assert "TZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400" in text  # the spring change is described
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


def test_online_meetings_page_and_api(web) -> None:
    page = soup(web.get("/meetings/?mode=online&day=0"))
    names = [h.get_text(strip=True) for h in page.select("li.result h3")]
    assert names == ["Eye Opener O/STS/WC Hybrid", "Women's Meditation & Prayer Circle"]
    body = web.get("/api/v1/meetings?mode=online&day=sunday&tz=Europe/London").get_json()
    assert body["total"] == 2 and body["viewer_time_zone"] == "Europe/London"
    online = body["results"][1]
    assert online["attendance"] == "online" and online["location"]["approximate"] is True
    assert online["time_zone_inferred"] is True
    assert online["next_start"]["viewer"].endswith("+00:00")
    assert "X" not in online["formats"]


def test_api_near_search_with_filters(web) -> None:
    body = web.get("/api/v1/meetings?near=14456&radius=30&format=open&day=monday").get_json()
    assert body["mode"] == "near" and body["total"] >= 1
    assert all("O" in r["formats"] and r["weekday"] == 1 for r in body["results"])
    assert all(r["source"]["note"].startswith("Sample") for r in body["results"])
    distances = [r["distance"] for r in body["results"]]
    assert distances == sorted(distances)


def test_a_state_lists_every_in_person_meeting_of_the_state_without_distances(
    web, meeting_app
) -> None:
    """A state typed as the place is not a point: its meetings are not the few (here none)
    within 25 miles of its centre, and none is so many miles from that centre."""
    with Session(meeting_app.extensions["engine"]) as session:
        in_person = [
            m
            for m in session.scalars(select(Meeting).where(Meeting.state == "NY"))
            if m.active and m.attendance in ("in_person", "hybrid") and m.duplicate_of is None
        ]
    assert len(in_person) > 25  # more than a page
    body = web.get("/api/v1/meetings?near=New+York&radius=25").get_json()
    assert (body["total"], body["radius"], body["pages"]) == (len(in_person), None, 2)
    second = web.get(body["links"]["next"]).get_json()["results"]
    listed = body["results"] + second
    assert {r["id"] for r in listed} == {m.id for m in in_person}
    assert all(r["distance"] is None and r["location"]["state"] == "NY" for r in listed)
    page = soup(web.get("/meetings/?near=New+York&radius=25"))
    assert page.select_one("h1").get_text(strip=True) == "Meetings in New York"
    heading = page.select_one("[role=status]").get_text(strip=True)
    assert heading == f"{len(in_person)} meetings in New York"
    assert "away" not in page.select_one("ol.result-list").get_text()
    assert "from the middle of New York outward" in page.select_one(".order-used").get_text()
    # The facility search of a state links to its meetings.
    treatment = soup(web.get("/search?near=NY"))
    link = treatment.select_one(".meetings-alongside a")
    assert link.get_text(strip=True).endswith("meetings in New York")
    assert "Meetings in New York" in soup(web.get(link["href"])).select_one("h1").get_text()


def test_bad_meeting_filters_get_a_sentence(web) -> None:
    page = soup(web.get("/meetings/?near=Geneva,+NY&day=blursday"))
    assert "is not a weekday" in page.select_one("[role=alert]").get_text()
    body = web.get("/api/v1/meetings?mode=online&tz=Mars/Olympus").get_json()
    assert body["error"]["field"] == "tz"
    assert web.get("/api/v1/meetings/999999").status_code == 404


def test_facility_search_offers_meetings_alongside(web) -> None:
    form = soup(web.get("/"))
    assert form.select_one("#service .hint a").get_text().startswith("Looking for NA, AA or SMART")
    redirect = web.get("/search?near=22903&radius=10&service=meetings")
    assert redirect.status_code == 302
    assert redirect.headers["Location"].startswith("/meetings/?near=22903")
    results = soup(web.get("/search?near=22903"))
    assert results.select_one(".meetings-alongside a")["href"].startswith("/meetings/?near=22903")


def test_cli_imports_each_kind_of_file(empty_db_url: str) -> None:
    app = make_app(empty_db_url)
    runner = app.test_cli_runner()
    bmlt = runner.invoke(
        cli, ["import", "bmlt", "--file", str(BMLT / "meeting-search-42.867970-day2.json")]
    )
    assert bmlt.exit_code == 0, bmlt.output
    assert "bmlt: ok — fetched 53, inserted 52" in bmlt.output
    guide = runner.invoke(
        cli,
        [
            "import",
            "meeting-guide",
            "--file",
            str(TSML),
            "--feed-url",
            "https://aagainesville.org/feed",
        ],
    )
    assert "inserted 3" in guide.output
    smart = runner.invoke(
        cli, ["import", "smart", "--file", str(SMART / "smart_agreement_export.csv")]
    )
    assert "partial" in smart.output and "rejected 1" in smart.output
    neither = runner.invoke(cli, ["import", "smart"])
    assert neither.exit_code != 0 and "exactly one of --file PATH or --live" in neither.output
    nowhere = runner.invoke(cli, ["import", "bmlt", "--near", "Atlantis, ZZ"])
    assert nowhere.exit_code != 0 and "couldn't find" in nowhere.output
    off = runner.invoke(cli, ["import", "smart", "--live"])
    assert off.exit_code != 0 and "smart_enabled" in off.output
    app.extensions["engine"].dispose()


def test_init_loads_the_meeting_sample_once(tmp_path: Path) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'new.db'}")
    runner = app.test_cli_runner()
    first = runner.invoke(cli, ["init"])
    assert "bmlt-sample: ok — fetched 53, inserted 52" in first.output
    assert "meeting-guide-sample: ok — fetched 3, inserted 3" in first.output
    second = runner.invoke(cli, ["init"])
    assert "already loaded" in second.output
    app.extensions["engine"].dispose()


def test_scheduler_lists_the_meeting_jobs() -> None:
    from scrapers.scheduler import JOBS

    assert {"bmlt", "meeting-guide", "smart"} <= {job.name for job in JOBS}
    assert all(job.function() for job in JOBS)


def test_the_viewer_zone_script_is_an_external_file(web: FlaskClient) -> None:
    """The page's script is served from static/ (a CSP without inline script can allow it)."""
    page = soup(web.get("/meetings/?near=Geneva%2C+NY", follow_redirects=True))
    scripts = page.find_all("script")
    assert scripts, "the meeting search should fill the viewer's zone"
    bodies = []
    for script in scripts:  # every page also loads the referral-list script
        assert script.get("src"), f"inline script on the meeting page: {script}"
        assert not script.get_text(strip=True)
        served = web.get(script["src"])
        assert served.status_code == 200
        assert "javascript" in (served.mimetype or "")
        bodies.append(served.data)
        served.close()
    assert any(b"resolvedOptions().timeZone" in body for body in bodies)
