"""Meetings people can trust (issue 17): zones, formats, keys and bad values, on real rows.

The rows are the recorded BMLT answer of latest.aws.bmlt.app (Greater New York Region,
tests/fixtures/feeds/bmlt/) and variants of them that the format notes warn about.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine

from locator.meetings.times import zone
from scrapers import bmlt, bmlt_fetch
from scrapers.meeting_import import import_bmlt_file, import_bmlt_live
from scrapers.meeting_zones import NO_TIME_ZONE, is_placeholder, placeholder_points
from tests.test_meetings_import import STOCK_VENUE_FORMATS, serve_server
from tests.utils.meetings import bmlt_search, config, full_dump_rows, meetings

SERVER = "https://latest.aws.bmlt.app/main_server"


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def envelope_with_venue_formats() -> dict:
    """The recorded envelope, its formats plus the stock VM/TC/HY, three rows using them."""
    data = bmlt_search()
    data["formats"] += [{**f, "root_server_uri": SERVER} for f in STOCK_VENUE_FORMATS]
    online, closed, hybrid = data["meetings"][:3]
    online.update(formats="VM,O", location_street="", virtual_meeting_link="https://zoom.us/j/1")
    closed.update(formats="TC,O")
    hybrid.update(formats="HY,O,WC", virtual_meeting_link="https://zoom.us/j/2")
    return data


def snapshot(engine: Engine) -> dict[str, tuple]:
    return {
        key: (m.formats, m.formats_original, m.format_names, m.format_codes, m.attendance)
        for key, m in meetings(engine).items()
    }


def test_a_file_without_formats_after_a_full_one_keeps_every_format_and_attendance(
    empty_engine: Engine, tmp_path: Path
) -> None:
    full = envelope_with_venue_formats()
    first = import_bmlt_file(empty_engine, write(tmp_path / "full.json", full))
    assert first.status == "ok", first.summary()
    before = snapshot(empty_engine)
    by_id = {key.rsplit("#", 1)[1]: row for key, row in before.items()}
    ids = [row["id_bigint"] for row in full["meetings"][:3]]
    assert [by_id[i][4] for i in ids] == ["online", "inactive", "hybrid"]
    bare = write(tmp_path / "bare.json", full["meetings"])  # no format definitions at all
    second = import_bmlt_file(empty_engine, bare, server=SERVER)
    assert second.status == "ok", second.summary()
    assert (second.inserted, second.updated) == (0, 0)
    assert snapshot(empty_engine) == before


def test_a_file_without_formats_and_nothing_stored_reads_the_stock_formats(
    empty_engine: Engine, tmp_path: Path
) -> None:
    rows = copy.deepcopy(bmlt_search()["meetings"])
    rows[0]["formats"] = "TC,O,RF"
    report = import_bmlt_file(empty_engine, write(tmp_path / "bare.json", rows), server=SERVER)
    assert report.status == "ok", report.summary()
    row = meetings(empty_engine)[f"{SERVER}#{rows[0]['id_bigint']}"]
    assert row.attendance == "inactive"  # TC: temporarily closed, not "in person"
    assert row.formats == ["O", "VAR"] and row.formats_original == ["NA:TC", "NA:O", "NA:RF"]


def test_a_closed_format_without_world_id_still_closes_the_venue() -> None:
    formats = bmlt.parse_formats(
        [{**f, "world_id": ""} for f in STOCK_VENUE_FORMATS] + bmlt_search()["formats"], "t"
    )
    row = full_dump_rows()[0] | {"formats": "TC,O"}
    (record,) = bmlt.parse_server(bmlt.ServerData(SERVER, formats, [row]))
    assert record.attendance == "inactive"


def test_two_servers_with_the_same_meeting_ids_stay_apart(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = full_dump_rows()[:4]
    others = copy.deepcopy(full_dump_rows()[4:8])
    for mine, other in zip(rows, others, strict=True):
        other["id_bigint"] = mine["id_bigint"]  # the same ids, other meetings
    for row in (*rows, *others):
        row["root_server_uri"] = "http:"  # as some servers send it
    first = serve_server(httpserver, rows)
    second = serve_server(httpserver, others, prefix="/other")
    report = import_bmlt_live(
        empty_engine, config(bmlt_servers=[first, second]), notify=lambda _m: None
    )
    assert report.status == "ok", report.summary()
    stored = meetings(empty_engine)
    assert len(stored) == 8
    for mine, other in zip(rows, others, strict=True):
        one = stored[f"{bmlt.server_url(first)}#{mine['id_bigint']}"]
        two = stored[f"{bmlt.server_url(second)}#{other['id_bigint']}"]
        assert (one.name, two.name) == (mine["meeting_name"], other["meeting_name"])


def test_server_option_wins_over_a_malformed_root_server_uri(
    empty_engine: Engine, tmp_path: Path
) -> None:
    data = bmlt_search()
    for row in data["formats"]:
        row["root_server_uri"] = "http:"
    path = write(tmp_path / "envelope.json", data)
    report = import_bmlt_file(empty_engine, path, server="https://NA.example.org/main_server/")
    assert report.status == "ok", report.summary()
    keys = meetings(empty_engine)
    assert all(key.startswith("https://na.example.org/main_server#") for key in keys)
    with pytest.raises(Exception, match="pass --server"):
        import_bmlt_file(empty_engine, path)  # "http:" is no server: refused, not keyed "http:://"


def test_an_aggregator_row_with_a_malformed_server_is_rejected_not_keyed() -> None:
    good, bad = copy.deepcopy(bmlt_search()["meetings"][:2])
    good["root_server_uri"], bad["root_server_uri"] = SERVER, "http:"
    items = list(bmlt_fetch._per_server([good, bad], {}, {}, "https://aggregator.test/main_server"))
    assert [type(i).__name__ for i in items] == ["Rejected", "MeetingRecord"]
    assert "root_server_uri 'http:'" in str(items[0])


def test_known_placeholder_coordinates_are_data() -> None:
    assert any("NA World Services" in what for _lat, _lon, what in placeholder_points())
    assert is_placeholder(34.2359, -118.5637)
    assert is_placeholder(34.23591, -118.56372)  # the same point to about 100 m
    assert not is_placeholder(34.2459, -118.5637)  # about a kilometre away: a real place


def test_an_online_meeting_parked_at_the_placeholder_takes_its_server_zone(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = full_dump_rows()[:6]
    for row in rows:
        row["time_zone"] = "Europe/Berlin"  # a German server: every meeting gives Berlin
    parked = rows[0]
    parked.update(
        time_zone="",
        venue_type="2",
        latitude="34.2359",
        longitude="-118.5637",
        location_street="",
        location_municipality="",  # no address either: only the placeholder point
        location_province="",
        virtual_meeting_link="https://zoom.us/j/3",
    )
    report = import_bmlt_live(
        empty_engine, config(bmlt_servers=[serve_server(httpserver, rows)]), notify=lambda _m: None
    )
    assert report.status == "ok", report.summary()
    found = next(m for m in meetings(empty_engine).values() if m.online_url.endswith("/3"))
    assert found.time_zone == "Europe/Berlin" and found.time_zone_inferred  # not Los Angeles
    assert found.latitude is None  # the placeholder is not its place


def test_a_meeting_with_no_zone_place_or_group_zone_is_kept_and_counted(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = full_dump_rows()[:2]
    for row in rows:
        row.update(
            time_zone="",
            venue_type="2",
            latitude="34.2359",
            longitude="-118.5637",
            location_street="",
            location_municipality="",
            location_province="",
            virtual_meeting_link="https://zoom.us/j/" + row["id_bigint"],
        )
    report = import_bmlt_live(
        empty_engine, config(bmlt_servers=[serve_server(httpserver, rows)]), notify=lambda _m: None
    )
    assert report.status == "ok" and report.inserted == 2, report.summary()
    assert all(m.time_zone == "" and m.active for m in meetings(empty_engine).values())
    assert report.kept_notes[NO_TIME_ZONE] == 2
    assert f"2 rows {NO_TIME_ZONE}" in report.summary()


def test_a_bad_zone_in_a_feed_rejects_its_row_not_the_run(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = full_dump_rows()[:4]
    rows[0]["time_zone"] = "America"
    rows[1]["time_zone"] = "__pycache__"
    rows[2]["time_zone"] = "A" * 300
    report = import_bmlt_live(
        empty_engine, config(bmlt_servers=[serve_server(httpserver, rows)]), notify=lambda _m: None
    )
    assert report.status == "partial" and report.inserted == 1, report.summary()
    assert report.rejected == 3
    assert all("is not an IANA zone name" in r.reason for r in report.rejects)


@pytest.mark.parametrize("name", ["America", "__pycache__", "A" * 300, "../etc/passwd", ""])
def test_folder_and_over_long_zone_names_are_no_zone(name: str) -> None:
    assert zone(name) is None
    assert zone("America/New_York") is not None


BAD_VALUES = [
    ("tz", "America"),
    ("tz", "__pycache__"),
    ("tz", "A" * 300),
    ("day", "²"),
    ("day", "①"),
    ("day", "٣"),
]


@pytest.mark.parametrize(("name", "bad"), BAD_VALUES)
def test_bad_zone_and_day_values_get_a_sentence_on_pages_and_api(
    client, name: str, bad: str
) -> None:
    for url in ("/meetings/", "/api/v1/meetings"):
        response = client.get(url, query_string={"mode": "online", name: bad})
        assert response.status_code == 400, (url, response.data[:300])
        text = response.get_data(as_text=True)
        assert ("time zone" in text) if name == "tz" else ("weekday" in text)


def test_bad_zone_on_one_meeting_gets_a_sentence(client, app) -> None:
    from scrapers.meeting_snapshot import seed_meetings

    seed_meetings(app.extensions["engine"])
    with app.app_context():
        found = meetings(app.extensions["engine"])
    meeting_id = next(iter(found.values())).id
    for url in (f"/meetings/{meeting_id}", f"/api/v1/meetings/{meeting_id}"):
        response = client.get(url, query_string={"tz": "America"})
        assert response.status_code == 400, url
        assert "is not a time zone" in response.get_data(as_text=True)
        assert client.get(url, query_string={"tz": "Europe/Berlin"}).status_code == 200


# -- one meeting once -----------------------------------------------------------------------


def tsml_row_for(bmlt_row: dict, **changes: object) -> dict:
    """The same NA meeting as a Meeting Guide (TSML) feed lists it: day 0-6, HH:MM, numbers."""
    row = {
        "slug": f"na-{bmlt_row['id_bigint']}",
        "name": bmlt_row["meeting_name"],
        "day": int(bmlt_row["weekday_tinyint"]) - 1,
        "time": bmlt_row["start_time"][:5],
        "location": bmlt_row["location_text"],
        "address": bmlt_row["location_street"],
        "city": bmlt_row["location_municipality"],
        "state": bmlt_row["location_province"],
        "latitude": float(bmlt_row["latitude"]) + 0.0003,  # about 30 m: another geocoder
        "longitude": float(bmlt_row["longitude"]),
        "types": ["O"],
        "timezone": "America/New_York",
    }
    row.update(changes)
    return row


def test_the_same_meeting_from_bmlt_and_a_meeting_guide_feed_is_shown_once(
    empty_engine: Engine, tmp_path: Path
) -> None:
    from scrapers.meeting_import import import_meeting_guide_file

    data = bmlt_search()
    import_bmlt_file(empty_engine, write(tmp_path / "bmlt.json", data))
    same, renamed, far = (copy.deepcopy(r) for r in data["meetings"][:3])
    feed = [
        tsml_row_for(same, name=same["meeting_name"].upper() + " Group"),
        tsml_row_for(renamed, name="Tuesday Night Candlelight"),  # not a similar name
        tsml_row_for(far, latitude=float(far["latitude"]) + 0.005),  # about 550 m away
    ]
    report = import_meeting_guide_file(
        empty_engine, write(tmp_path / "feed.json", feed), "https://feed.test/meetings", "NA"
    )
    assert report.inserted == 3 and report.merged_elsewhere == 1, report.summary()
    assert "1 with the same meeting another source lists" in report.summary()
    stored = meetings(empty_engine)
    bmlt_row = stored[f"{SERVER}#{same['id_bigint']}"]
    feed_rows = {k: m for k, m in stored.items() if k.startswith("https://feed.test")}
    duplicates = [m for m in feed_rows.values() if m.duplicate_of is not None]
    assert [m.duplicate_of for m in duplicates] == [bmlt_row.id]
    from sqlmodel import Session

    from locator.meetings.search import MeetingQuery, find_meetings
    from locator.places.geo import Point

    with Session(empty_engine) as session:
        origin = Point(float(same["latitude"]), float(same["longitude"]))
        page = find_meetings(session=session, query=MeetingQuery(origin=origin, radius=1))
    names = [hit.meeting.source_key for hit in page.hits]
    assert bmlt_row.source_key in names and duplicates[0].source_key not in names


def test_a_duplicate_is_shown_again_when_the_first_source_stops_listing_it(
    empty_engine: Engine, httpserver: HTTPServer, tmp_path: Path
) -> None:
    from scrapers.meeting_import import import_meeting_guide_file

    rows = full_dump_rows()[:3]
    url = serve_server(httpserver, rows)
    import_bmlt_live(empty_engine, config(bmlt_servers=[url]), notify=lambda _m: None)
    feed = [tsml_row_for(rows[0])]
    import_meeting_guide_file(
        empty_engine, write(tmp_path / "feed.json", feed), "https://feed.test/meetings", "NA"
    )
    (copy_row,) = [m for k, m in meetings(empty_engine).items() if k.startswith("https://feed")]
    assert copy_row.duplicate_of is not None
    httpserver.clear()
    serve_server(httpserver, rows[1:])  # the server no longer lists that meeting
    import_bmlt_live(empty_engine, config(bmlt_servers=[url]), notify=lambda _m: None)
    (copy_row,) = [m for k, m in meetings(empty_engine).items() if k.startswith("https://feed")]
    assert copy_row.duplicate_of is None


def test_the_same_rule_merges_two_listings_within_one_run() -> None:
    from scrapers.meeting_merge import merge_duplicates, same_meeting

    rows = full_dump_rows()[:2]
    formats = bmlt.parse_formats(bmlt_search()["formats"], "t")
    first = list(bmlt.parse_server(bmlt.ServerData(SERVER, formats, rows)))
    moved = copy.deepcopy(rows)
    for row in moved:
        row["latitude"] = str(float(row["latitude"]) + 0.0005)  # about 55 m
        row["meeting_name"] = row["meeting_name"] + " (NA)"
    second = list(bmlt.parse_server(bmlt.ServerData("https://other.test/main", formats, moved)))
    assert all(same_meeting(a, b) for a, b in zip(first, second, strict=True))
    merged = list(merge_duplicates([*first, *second]))
    assert [getattr(m, "key", None) for m in merged] == [m.key for m in first] * 2


def test_a_live_server_answering_no_formats_keeps_the_stored_ones(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = full_dump_rows()[:8]
    rows[0].update(venue_type="", formats="TC,O")
    url = serve_server(httpserver, rows)
    import_bmlt_live(empty_engine, config(bmlt_servers=[url]), notify=lambda _m: None)
    before = snapshot(empty_engine)
    httpserver.clear()
    path = "/main_server/client_interface/json/"
    answers = (("GetFormats", []), ("GetServiceBodies", []), ("GetSearchResults", rows))
    for switcher, body in answers:
        httpserver.expect_request(path, query_string={"switcher": switcher}).respond_with_json(body)
    report = import_bmlt_live(empty_engine, config(bmlt_servers=[url]), notify=lambda _m: None)
    assert report.status == "ok", report.summary()
    after = snapshot(empty_engine)
    assert after == before
    assert after[f"{bmlt.server_url(url)}#{rows[0]['id_bigint']}"][4] == "inactive"


def test_non_ascii_digits_in_a_bmlt_row_reject_that_row_with_a_reason() -> None:
    rows = full_dump_rows()[:3]
    rows[0]["weekday_tinyint"] = "²"
    rows[1]["id_bigint"] = "①"
    items = list(bmlt.parse_server(bmlt.ServerData(SERVER, {}, rows)))
    reasons = [getattr(i, "reason", "") for i in items]
    assert "weekday_tinyint '²' is not 1-7" in reasons
    assert "id_bigint '①' is not a number" in reasons
    assert sum(1 for r in reasons if not r) == 1


def test_a_zoneless_meeting_takes_its_service_body_zone_on_a_server_spanning_zones() -> None:
    rows = full_dump_rows()[:10]
    for index, row in enumerate(rows):
        row.update(service_body_bigint="7" if index < 5 else "8")
        row["time_zone"] = "Europe/Berlin" if index < 5 else "America/New_York"
    for row in (rows[0], rows[9]):  # one zoneless online meeting in each body, no place
        row.update(
            time_zone="",
            venue_type="2",
            latitude="0",
            longitude="0",
            location_street="",
            location_municipality="",
            location_province="",
        )
    formats = bmlt.parse_formats(bmlt_search()["formats"], "t")
    found = {r.key: r for r in bmlt.parse_server(bmlt.ServerData(SERVER, formats, rows))}
    first, last = (found[f"{SERVER}#{rows[i]['id_bigint']}"] for i in (0, 9))
    assert (first.time_zone, last.time_zone) == ("Europe/Berlin", "America/New_York")
    assert first.time_zone_inferred and last.time_zone_inferred
    for row in rows:
        row["service_body_bigint"] = ""  # no bodies: half Berlin, half New York
    found = {r.key: r for r in bmlt.parse_server(bmlt.ServerData(SERVER, formats, rows))}
    assert found[f"{SERVER}#{rows[0]['id_bigint']}"].time_zone == ""  # no shared zone: unknown
