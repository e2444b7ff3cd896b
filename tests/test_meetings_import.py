"""Meeting importers against a local server serving the recorded BMLT and TSML payloads."""

from __future__ import annotations

import copy
import json
import time as clock
from datetime import time

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlmodel import Session
from werkzeug import Request, Response

from locator.models import ImportRun
from scrapers import bmlt, bmlt_fetch, meeting_guide
from scrapers.base import EmptyFeedError, FeedSchemaError, ImportReport
from scrapers.meeting_import import import_bmlt_live, import_meeting_guide_live
from tests.utils.meetings import BMLT, TSML, bmlt_search, config, full_dump_rows, load, meetings

SWITCH = "/main_server/client_interface/json/"
# The stock VM, TC and HY formats every server is seeded with (bmlt-server initial schema,
# shared/samples/bmlt-server_default_formats_en.php.txt); the recorded server lacks them.
STOCK_VENUE_FORMATS = [
    {
        "key_string": key,
        "name_string": name,
        "description_string": text,
        "lang": "en",
        "id": str(shared_id),
        "world_id": world,
        "format_type_enum": "FC2",
    }
    for shared_id, key, world, name, text in (
        (54, "VM", "VM", "Virtual Meeting", "Meets Virtually"),
        (55, "TC", "TC", "Temporarily Closed Facility", "Facility is Temporarily Closed"),
        (56, "HY", "HYBR", "Hybrid Meeting", "Meets Virtually and In-person"),
    )
]


def serve_server(server: HTTPServer, rows: list, *, prefix: str = "/main_server") -> str:
    """Serve one BMLT root server: formats, service bodies and the meeting dump."""
    path = f"{prefix}/client_interface/json/"
    formats = load(BMLT / "formats.json") + STOCK_VENUE_FORMATS
    bodies = load(BMLT / "service-bodies.json")
    for switcher, body in (
        ("GetFormats", formats),
        ("GetServiceBodies", bodies),
        ("GetSearchResults", rows),
    ):
        server.expect_request(path, query_string={"switcher": switcher}).respond_with_json(body)
    return server.url_for(prefix + "/")


def run_live(engine: Engine, *urls: str):
    return import_bmlt_live(engine, config(bmlt_servers=list(urls)), notify=lambda _m: None)


def test_full_dump_of_a_server_imports_every_meeting_and_a_rerun_changes_nothing(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    url = serve_server(httpserver, full_dump_rows())
    first = run_live(empty_engine, url)
    assert first.status == "ok", first.summary()
    assert first.fetched == 53
    assert first.inserted == 52  # one meeting is listed twice on the server: merged
    second = run_live(empty_engine, url)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 52)
    stored = meetings(empty_engine)
    row = stored[f"{bmlt.server_url(url)}#2566"]
    assert (row.name, row.weekday, row.start_time, row.fellowship) == (
        "Step up and Be Free",
        1,  # BMLT weekday 2 = Monday; stored 0 = Sunday
        time(19, 0),
        "NA",
    )
    assert row.formats == ["O", "TOP", "VAR"] and row.formats_original == ["NA:O", "NA:RF", "NA:To"]
    assert "NA helpline (Greater New York Region): 212-929-6262" in row.notes
    assert row.time_zone == "America/New_York" and not row.time_zone_inferred


def test_wheelchair_format_is_normalised_by_world_id(empty_engine, httpserver) -> None:
    run_live(empty_engine, serve_server(httpserver, full_dump_rows()))
    with_wc = [m for m in meetings(empty_engine).values() if "NA:WC" in m.formats_original]
    assert with_wc and all("X" in m.formats and ",X," in m.format_codes for m in with_wc)


def variant_rows() -> list[dict]:
    """Real rows turned into the cases the format notes warn about."""
    rows = full_dump_rows()[:6]
    virtual, hybrid, no_zone, legacy, closed, custom = rows
    virtual.update(
        venue_type="2",
        latitude="0",
        longitude="0",
        location_street="",
        virtual_meeting_link="https://zoom.us/j/123",
        formats="VM,O",
    )
    hybrid.update(venue_type="", formats="HY,O,WC", virtual_meeting_link="https://zoom.us/j/456")
    no_zone.update(time_zone="")
    legacy.update(location_info="Location Info#@-@#Side door, ring the bell")
    closed.update(venue_type="", formats="TC,O")
    custom.update(formats="O,XX")  # a key this server does not define
    return rows


def test_variants_virtual_hybrid_empty_zone_legacy_separator_and_closed(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    url = serve_server(httpserver, variant_rows())
    report = run_live(empty_engine, url)
    assert report.status == "ok", report.summary()
    stored = sorted(meetings(empty_engine).values(), key=lambda m: m.source_key)
    by_id = {m.source_key.rsplit("#", 1)[1]: m for m in stored}
    ids = [r["id_bigint"] for r in variant_rows()]
    virtual, hybrid, no_zone, legacy, closed, custom = (by_id[i] for i in ids)
    assert virtual.attendance == "online" and virtual.latitude is None and virtual.lat_band is None
    assert virtual.online_url == "https://zoom.us/j/123"
    assert hybrid.attendance == "hybrid" and "X" in hybrid.formats
    assert no_zone.time_zone == "America/New_York" and no_zone.time_zone_inferred
    assert legacy.notes.startswith("Side door, ring the bell")
    assert "#@-@#" not in legacy.notes
    assert closed.attendance == "inactive"
    assert custom.formats == ["O"] and custom.formats_original == ["NA:O"]


def test_non_standard_format_types_are_kept_as_other(empty_engine, httpserver) -> None:
    formats = load(BMLT / "formats.json")
    formats.append(
        {
            **formats[0],
            "key_string": "Fx",
            "name_string": "Five minutes of silence",
            "world_id": "",
            "format_type_enum": "O-5",
            "id": "999",
        }
    )
    parsed = bmlt.parse_formats(formats, "test")
    assert parsed["Fx"].kind == "O-5" and parsed["Fx"].world_id == ""
    row = full_dump_rows()[0] | {"formats": "O,Fx"}
    (record,) = bmlt.parse_server(bmlt.ServerData("https://x.test/main_server", parsed, [row]))
    assert record.formats == ("O",) and "Five minutes of silence" in record.format_names


def test_a_server_answering_html_is_skipped_and_its_meetings_kept(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    good = serve_server(httpserver, full_dump_rows()[:10])
    flaky = serve_server(httpserver, full_dump_rows()[10:20], prefix="/flaky")
    assert run_live(empty_engine, good, flaky).inserted == 20
    httpserver.clear()
    serve_server(httpserver, full_dump_rows()[:10])
    httpserver.expect_request("/flaky/client_interface/json/").respond_with_data(
        "<html><body>Site maintenance</body></html>", content_type="text/html"
    )
    report = run_live(empty_engine, good, flaky)
    assert report.status == "partial"
    assert report.rejects[0].row == bmlt.server_url(flaky)
    assert "HTML page" in report.rejects[0].reason
    assert report.deactivated == 0
    assert all(m.active for m in meetings(empty_engine).values())


def test_a_server_that_times_out_is_reported_not_fatal(empty_engine, httpserver) -> None:
    good = serve_server(httpserver, full_dump_rows()[:5])

    def slow(_request: Request) -> Response:
        clock.sleep(1.5)
        return Response("[]", content_type="application/json")

    httpserver.expect_request("/slow/client_interface/json/").respond_with_handler(slow)
    report = run_live(empty_engine, good, httpserver.url_for("/slow/"))
    assert report.inserted == 5 and report.rejected == 1
    assert "Timeout" in report.rejects[0].reason


def test_schema_drift_fails_the_run_and_keeps_the_previous_data(empty_engine, httpserver) -> None:
    url = serve_server(httpserver, full_dump_rows())
    run_live(empty_engine, url)
    before = meetings(empty_engine)
    httpserver.clear()
    drifted = [
        {k: v for k, v in r.items() if k != "start_time"} | {"startTime": r["start_time"]}
        for r in full_dump_rows()
    ]
    serve_server(httpserver, drifted)
    with pytest.raises(FeedSchemaError, match="start_time"):
        run_live(empty_engine, url)
    after = meetings(empty_engine)
    assert {k: m.content_hash for k, m in after.items()} == {
        k: m.content_hash for k, m in before.items()
    }
    with Session(empty_engine) as session:
        last = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert last.status == "failed" and "start_time" in last.error


def test_an_empty_dump_fails_the_run(empty_engine, httpserver) -> None:
    url = serve_server(httpserver, full_dump_rows()[:3])
    run_live(empty_engine, url)
    httpserver.clear()
    serve_server(httpserver, [])
    with pytest.raises(EmptyFeedError):
        run_live(empty_engine, url)
    assert all(m.active for m in meetings(empty_engine).values())


def test_a_meeting_gone_from_a_full_refresh_becomes_inactive_not_deleted(
    empty_engine, httpserver
) -> None:
    url = serve_server(httpserver, full_dump_rows()[:5])
    run_live(empty_engine, url)
    httpserver.clear()
    serve_server(httpserver, full_dump_rows()[:4])
    report = run_live(empty_engine, url)
    assert report.deactivated == 1
    stored = meetings(empty_engine)
    assert len(stored) == 5 and sum(not m.active for m in stored.values()) == 1


def test_unpublished_and_incomplete_rows_are_rejected_with_reasons(
    empty_engine, httpserver
) -> None:
    rows = full_dump_rows()[:4]
    rows[0]["published"] = "0"
    del rows[1]["weekday_tinyint"]
    rows[2]["start_time"] = "7pm"
    url = serve_server(httpserver, rows)
    report = run_live(empty_engine, url)
    reasons = sorted(r.reason for r in report.rejects)
    assert report.inserted == 1 and report.rejected == 3
    assert reasons == [
        "missing weekday_tinyint",
        "not published on its server",
        "start_time '7pm' is not HH:MM:SS",
    ]


def test_the_same_meeting_on_two_servers_is_stored_once(empty_engine, httpserver) -> None:
    rows = full_dump_rows()[:3]
    copies = copy.deepcopy(rows)
    for row in copies:
        row["id_bigint"] = str(90000 + int(row["id_bigint"]))
    first = serve_server(httpserver, rows)
    second = serve_server(httpserver, copies, prefix="/rehost")
    report = run_live(empty_engine, first, second)
    assert report.inserted == 3
    stored = meetings(empty_engine)
    assert all(len(m.also_listed) == 1 and "/rehost#9" in m.also_listed[0] for m in stored.values())


def test_server_list_is_read_from_the_aggregator_list_plus_extras(httpserver) -> None:
    listing = [{"id": "1", "name": "Local", "url": httpserver.url_for("/main_server/")}]
    httpserver.expect_request("/serverList.json").respond_with_json(listing)
    from scrapers.http import client_from_config

    settings = config(bmlt_server_list_url=httpserver.url_for("/serverList.json"))
    client = client_from_config(settings, min_interval=0)
    with client.session:
        found = bmlt_fetch.server_urls(client, settings)
    assert found == [
        bmlt.server_url(httpserver.url_for("/main_server/")),
        "https://bmlt.virtual-na.org/main_server",
    ]


def test_recorded_server_list_has_the_documented_shape() -> None:
    servers = load(BMLT / "serverList.json")
    assert len(servers) == 42 and all({"id", "name", "url"} <= set(s) for s in servers)


def test_area_refresh_through_the_aggregator(empty_engine, httpserver) -> None:
    envelope = bmlt_search()
    for row in envelope["meetings"]:
        row["root_server_uri"] = "https://latest.aws.bmlt.app/main_server"
    httpserver.expect_request(
        SWITCH,
        query_string={
            "switcher": "GetSearchResults",
            "lat_val": "42.867970",
            "long_val": "-76.985573",
            "geo_width_km": "40",
            "get_used_formats": "1",
        },
    ).respond_with_json(envelope)
    from locator.places.geo import Point
    from scrapers.meeting_import import import_bmlt_area

    settings = config(bmlt_aggregator_url=httpserver.url_for("/main_server/"))
    report = import_bmlt_area(empty_engine, settings, Point(42.86797, -76.985573), 40)
    assert report.inserted == 52
    assert "https://latest.aws.bmlt.app/main_server#2566" in meetings(empty_engine)


# -- Meeting Guide -----------------------------------------------------------------------


def serve_feed(server: HTTPServer, path: str, body) -> str:
    server.expect_request(path).respond_with_json(body)
    return server.url_for(path)


def run_feeds(engine: Engine, *entries: str) -> ImportReport:
    return import_meeting_guide_live(
        engine, config(meeting_guide_feeds=list(entries)), lambda _m: None
    )


def test_meeting_guide_feed_attendance_and_types(empty_engine, httpserver) -> None:
    url = serve_feed(httpserver, "/wp-admin/admin-ajax.php", load(TSML))
    report = run_feeds(empty_engine, f"AA {url}")
    assert (report.inserted, report.status) == (3, "ok")
    by_slug = {m.source_key.split("#")[1]: m for m in meetings(empty_engine).values()}
    in_person = by_slug["the-way-out-c-sts-wc"]
    hybrid = by_slug["eye-opener-o-sts-wc"]
    online = by_slug["womens-meditation-prayer-circle-6"]
    assert (in_person.attendance, hybrid.attendance, online.attendance) == (
        "in_person",
        "hybrid",
        "online",
    )
    assert in_person.latitude == 29.8162056  # float noise rounded
    assert in_person.format_names == [
        "12 Steps & 12 Traditions",
        "Closed",
        "Step Study",
        "Wheelchair Access",
    ]
    assert (in_person.city, in_person.state, in_person.postal_code) == (
        "High Springs",
        "FL",
        "32643",
    )
    assert in_person.time_zone == "America/New_York" and in_person.time_zone_inferred
    assert run_feeds(empty_engine, f"AA {url}").unchanged == 3


def test_attendance_is_computed_like_the_plugin_when_the_feed_lacks_it() -> None:
    def computed(types: list[str], approximate: str = "no", link: bool = False) -> str:
        row = {"approximate": approximate}
        return meeting_guide.attendance(row, types, link)

    assert computed(["O"]) == "in_person"
    assert computed(["O"], "yes") == "inactive"
    assert computed(["ONL"]) == "hybrid"
    assert computed(["ONL"], "yes") == "online"
    assert computed(["TC", "ONL"]) == "online"
    assert computed(["TC"]) == "inactive"
    assert computed([], link=True) == "hybrid"


def test_a_meeting_on_several_days_becomes_one_row_per_day(empty_engine, httpserver) -> None:
    rows = load(TSML)[:1]
    rows[0]["day"] = [1, 3]
    rows[0].pop("attendance_option")
    rows[0]["timezone"] = "America/New_York"
    url = serve_feed(httpserver, "/feed", rows)
    run_feeds(empty_engine, f"AA {url}")
    stored = meetings(empty_engine)
    assert sorted(m.weekday or 0 for m in stored.values()) == [1, 3]
    assert all(not m.time_zone_inferred for m in stored.values())


def test_a_restricted_feed_is_reported_and_other_feeds_still_import(
    empty_engine, httpserver
) -> None:
    good = serve_feed(httpserver, "/good", load(TSML))
    httpserver.expect_request("/restricted").respond_with_json(
        {"error": "HTTP/1.1 401 Unauthorized"}, status=401
    )
    report = run_feeds(empty_engine, f"AA {good}", f"AA {httpserver.url_for('/restricted')}")
    assert report.inserted == 3 and report.rejected == 1
    assert "401" in report.rejects[0].reason


def test_a_feed_that_changed_shape_fails_the_run(empty_engine, httpserver) -> None:
    url = serve_feed(httpserver, "/feed", {"meetings": load(TSML)})
    with pytest.raises(FeedSchemaError, match="JSON list"):
        run_feeds(empty_engine, f"AA {url}")


def test_a_bad_feed_setting_says_how_to_write_it(empty_engine) -> None:
    with pytest.raises(FeedSchemaError, match="fellowship code and a URL"):
        run_feeds(empty_engine, "https://example.org/feed")


def test_same_meeting_in_two_feeds_is_merged(empty_engine, httpserver) -> None:
    first = serve_feed(httpserver, "/one", load(TSML))
    second = serve_feed(httpserver, "/two", load(TSML))
    report = run_feeds(empty_engine, f"AA {first}", f"AA {second}")
    assert report.inserted == 3
    assert all(
        m.also_listed and "/two#" in m.also_listed[0] for m in meetings(empty_engine).values()
    )


def test_bad_meeting_guide_rows_are_rejected_with_reasons() -> None:
    rows = load(TSML)
    rows[0]["day"] = 7
    rows[1]["time"] = "8am"
    items = list(
        meeting_guide.parse_feed(json.loads(json.dumps(rows)), "https://f.test/feed", "AA")
    )
    reasons = [i.reason for i in items if hasattr(i, "reason")]
    assert len(reasons) == 2
    assert "is not 0-6" in reasons[0] and "is not HH:MM" in reasons[1]
