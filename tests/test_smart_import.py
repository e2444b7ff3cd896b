"""SMART Recovery: pages in the documented structure, served locally; robots; pacing; CSV."""

from __future__ import annotations

from datetime import time

import pytest
from pytest_httpserver import HTTPServer

from scrapers import smart
from scrapers.base import EmptyFeedError, FeedSchemaError, Rejected
from scrapers.http import HttpClient
from scrapers.meeting_import import import_smart_file, import_smart_live
from tests.utils.meetings import SMART, config, meetings

PAGES = {
    "9001": "meeting_in_person.html",
    "9002": "meeting_online.html",
    "9003": "meeting_not_weekly.html",
}


def page(name: str) -> str:
    return (SMART / name).read_text(encoding="utf-8")


def serve_site(server: HTTPServer, robots: str = "User-agent: *\nAllow: /\n") -> str:
    server.expect_request("/robots.txt").respond_with_data(robots, content_type="text/plain")
    locs = (
        "".join(f"<url><loc>{server.url_for(f'/meetings/{n}/')}</loc></url>" for n in PAGES)
        + f"<url><loc>{server.url_for('/about/')}</loc></url>"
    )
    server.expect_request("/sitemap.xml").respond_with_data(
        f'<?xml version="1.0"?><urlset>{locs}</urlset>', content_type="application/xml"
    )
    for number, name in PAGES.items():
        server.expect_request(f"/meetings/{number}/").respond_with_data(
            page(name), content_type="text/html"
        )
    return server.url_for("/sitemap.xml")


def polite_client(waits: list[float]) -> HttpClient:
    fake_now = [0.0]

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        fake_now[0] += seconds

    return HttpClient(
        user_agent="treatment-locator-test/1 (+https://example.org/contact)",
        min_interval=2.0,
        honour_robots=True,
        max_retries=0,
        sleep=sleep,
        clock=lambda: fake_now[0],
    )


def test_in_person_page_gives_weekday_time_zone_and_address() -> None:
    record = smart.parse_page(page("meeting_in_person.html"), "https://m.test/meetings/9001/")
    assert not isinstance(record, Rejected)
    assert (record.weekday, record.start_time, record.duration_minutes) == (2, time(18, 30), 90)
    assert record.time_zone == "America/New_York" and not record.time_zone_inferred
    assert (record.street, record.city, record.state, record.postal_code) == (
        "1 Test Street",
        "Richmond",
        "VA",
        "23219",
    )
    assert record.attendance == "in_person" and record.location_approximate
    assert record.latitude is not None  # placed at its ZIP centre, marked approximate
    assert record.name == "Richmond - Test fixture evening group"


def test_online_page_every_other_week() -> None:
    record = smart.parse_page(page("meeting_online.html"), "https://m.test/meetings/9002/")
    assert record.attendance == "online" and record.latitude is None
    assert record.online_url == "https://instance-us.pathcheck.net/j/TESTFIXTURE"
    assert record.weekday == 0 and record.schedule_note == "Every 2 weeks."


def test_page_without_calendar_is_kept_with_a_schedule_note() -> None:
    record = smart.parse_page(page("meeting_not_weekly.html"), "https://m.test/meetings/9003/")
    assert record.weekday is None and record.start_time is None
    assert "Not a weekly meeting" in record.schedule_note
    assert record.name == "Meeting #9003 Austin, TX"
    assert record.time_zone == "America/Chicago" and record.time_zone_inferred


def test_live_crawl_is_off_until_enabled(empty_engine) -> None:
    with pytest.raises(FeedSchemaError, match="smart_enabled"):
        import_smart_live(empty_engine, config())


def test_live_crawl_reads_the_sitemap_waits_two_seconds_and_identifies_itself(
    empty_engine, httpserver: HTTPServer
) -> None:
    sitemap = serve_site(httpserver)
    waits: list[float] = []
    settings = config(smart_enabled=True, smart_sitemap_url=sitemap)
    report = import_smart_live(empty_engine, settings, lambda _m: None, client=polite_client(waits))
    assert report.inserted == 3 and report.status == "ok"
    assert len(waits) >= 3 and all(w >= 2.0 for w in waits)
    agents = {r.headers.get("User-Agent") for r, _ in httpserver.log}
    assert agents == {"treatment-locator-test/1 (+https://example.org/contact)"}
    assert len(meetings(empty_engine)) == 3


def test_robots_txt_that_forbids_meeting_pages_is_honoured(empty_engine, httpserver) -> None:
    sitemap = serve_site(httpserver, robots="User-agent: *\nDisallow: /meetings/\n")
    settings = config(smart_enabled=True, smart_sitemap_url=sitemap)
    with pytest.raises(EmptyFeedError, match="3 rejected"):
        import_smart_live(empty_engine, settings, lambda _m: None, client=polite_client([]))
    paths = {r.path for r, _ in httpserver.log}
    assert not any(p.startswith("/meetings/") for p in paths)


def test_csv_from_a_data_agreement(empty_engine) -> None:
    report = import_smart_file(empty_engine, SMART / "smart_agreement_export.csv")
    assert (report.inserted, report.rejected) == (2, 1)
    assert "weekday 'Someday'" in report.rejects[0].reason
    stored = {m.source_key: m for m in meetings(empty_engine).values()}
    group = stored["smart#9101"]
    assert (group.weekday, group.duration_minutes, group.time_zone) == (3, 90, "America/Chicago")
    assert stored["smart#9102"].attendance == "online"


def test_csv_without_required_columns_is_refused(empty_engine, tmp_path) -> None:
    broken = tmp_path / "export.csv"
    broken.write_text("id,title\n1,x\n")
    with pytest.raises(FeedSchemaError, match="meeting_id"):
        import_smart_file(empty_engine, broken)
