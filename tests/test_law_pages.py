"""Kratom-law pages and API, law badges on results, and the law-status search filter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from werkzeug.test import TestResponse

from scrapers.meeting_snapshot import seed_meetings
from tests.conftest import make_app
from tests.utils.laws import set_law

LAW_KEYS = {
    "state", "state_name", "status", "status_label", "law_name", "citation", "enacted_on",
    "effective_on", "expires_on", "minimum_age", "covers", "seven_oh", "local_restrictions",
    "pending_bills", "sources", "verified_on", "confidence", "unconfirmed", "notes",
}  # fmt: skip
FEDERAL_KEYS = {"agency", "action", "date", "status", "citation", "url", "summary"}


@pytest.fixture
def law_app(db_url: str) -> Iterator[Flask]:
    app = make_app(db_url)
    seed_meetings(app.extensions["engine"])
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def web(law_app: Flask) -> FlaskClient:
    return law_app.test_client()


def soup(response: TestResponse) -> BeautifulSoup:
    return BeautifulSoup(response.data, "html.parser")


def test_laws_map_labels_every_state_in_words_not_colour_alone(web: FlaskClient) -> None:
    page = soup(web.get("/laws"))
    tiles = page.select("svg.law-map a.tile")
    assert len(tiles) == 56
    kansas = page.select_one('a.tile[data-state="KS"]')
    assert kansas is not None
    assert [t.get_text() for t in kansas.select("text")] == ["KS", "BAN"]
    assert page.select_one('a.tile[data-state="DC"] text.tile-word').get_text() == "?*"
    assert kansas["href"] == "/laws/KS"
    provenance = page.select_one("p.provenance").get_text()
    assert "Every row was last verified on 2026-12-02" in provenance
    assert "between" not in provenance, "a range only when rows differ"
    legend = page.select_one("dl.law-legend").get_text()
    assert "KCPA" in legend and "Temporary ban" in legend


def test_laws_table_sorts_with_links_and_no_script(web: FlaskClient) -> None:
    page = soup(web.get("/laws"))
    rows = page.select("table.law-table tbody tr")
    assert len(rows) == 56
    assert rows[0]["data-state"] == "AL"
    assert not page.select("main script")
    link = page.select_one('th a[href*="sort=status"]')
    assert link is not None
    by_status = soup(web.get(link["href"]))
    first = by_status.select("table.law-table tbody tr")[:9]
    assert all(r.select_one("td.status").get_text().startswith("Banned") for r in first)
    desc = soup(web.get("/laws?sort=status&dir=desc"))
    assert (
        desc.select("table.law-table tbody tr")[0]
        .select_one("td.status")
        .get_text()
        .startswith("Unknown")
    )


def test_a_bad_sort_column_gets_a_sentence(web: FlaskClient) -> None:
    response = web.get("/laws?sort=colour")
    assert response.status_code == 400
    assert "is not a column to sort by" in soup(response).get_text()


def test_state_page_says_status_in_plain_words_with_sources_and_dates(web: FlaskClient) -> None:
    page = soup(web.get("/laws/ks"))
    text = page.get_text(" ", strip=True)
    assert page.select_one("h1").get_text() == "Kratom law in Kansas"
    assert "Status: Banned." in text
    assert "banned statewide by statute or rule" in text
    facts = {
        dt.get_text(): dt.find_next_sibling("dd").get_text()
        for dt in page.select("dl.law-facts dt")
    }
    assert facts["In effect since"] == "2026-07-01"
    assert facts["Citation"] == "Kansas HB 2365 (2026)"
    sources = page.select("ul.sources li")
    assert sources[0].select_one("a")["href"].startswith("https://www.governor.ks.gov/")
    assert "official" in sources[0].get_text()
    assert page.select_one("p.provenance time")["datetime"] == "2026-12-02"
    assert "Not legal advice." in page.select_one("p.legal-note").get_text()
    assert "988" in page.select_one("aside.crisis").get_text()
    federal = page.select_one("ol.federal").get_text()
    assert "FR Doc 2026-13580" in federal and "2025-07-29" in federal
    overlay = page.select_one("p.federal-overlay").get_text(" ", strip=True)
    assert overlay.startswith("Federal 7-OH scheduling: Proposed, not in effect on our records")


def test_a_date_still_ahead_is_announced(web: FlaskClient, law_app: Flask) -> None:
    set_law(law_app.extensions["engine"], "MI", effective_on=date(2099, 7, 1))
    page = soup(web.get("/laws/MI"))
    assert page.select_one("p.upcoming").get_text() == "Takes effect on 2099-07-01."


def test_florida_shows_its_7oh_rule_apart_from_the_kratom_status(web: FlaskClient) -> None:
    page = soup(web.get("/laws/FL"))
    assert "Status: Regulated (KCPA)." in page.select_one("p.law-status").get_text()
    seven_oh = page.select_one("section.seven-oh").get_text(" ", strip=True)
    assert "banned or scheduled by its own rule" in seven_oh
    assert "2026-06-22" in seven_oh


def test_unconfirmed_rows_say_so(web: FlaskClient) -> None:
    page = soup(web.get("/laws/DC"))
    assert "Unknown (unconfirmed)" in page.select_one("p.law-status").get_text()
    assert "Unconfirmed:" in page.get_text()


def test_local_rules_are_listed_with_their_source(web: FlaskClient) -> None:
    page = soup(web.get("/laws/WA"))
    items = page.select("ul.local-restrictions li")
    spokane = next(li for li in items if li.get_text().startswith("Spokane:"))
    assert spokane.select_one("a")["href"].startswith("https://www.spokesman.com/")


def test_an_expired_temporary_ban_is_flagged_not_shown_in_force(
    web: FlaskClient, law_app: Flask
) -> None:
    expired = date.today() - timedelta(days=30)
    set_law(law_app.extensions["engine"], "ND", expires_on=expired)
    page = soup(web.get("/laws/ND"))
    label = f"Temporary ban expired {expired.isoformat()} (awaiting review)"
    assert label in page.select_one("p.law-status").get_text()
    assert "awaiting review" in page.select_one("p.warning[role=alert]").get_text()
    body = web.get("/api/v1/laws/ND").get_json()
    assert body["law"]["status"] == "temporary_ban"
    assert body["law"]["status_label"] == label
    tile = soup(web.get("/laws")).select_one('a.tile[data-state="ND"] title').get_text()
    assert tile == f"North Dakota: {label}"


def test_unknown_state_is_a_404_sentence_on_page_and_api(web: FlaskClient) -> None:
    page = web.get("/laws/ZZ")
    assert page.status_code == 404
    assert "is not a state code we know" in soup(page).get_text()
    api = web.get("/api/v1/laws/zz")
    assert api.status_code == 404
    assert api.get_json() == {
        "error": {
            "status": 404,
            "message": "“zz” is not a state code we know; use a two-letter code such as VA or PR.",
        }
    }


def test_api_lists_every_law_with_the_agreed_fields(web: FlaskClient) -> None:
    body = web.get("/api/v1/laws").get_json()
    assert set(body) == {"laws", "federal", "disclaimer"}
    assert len(body["laws"]) == 56
    assert all(set(law) == LAW_KEYS for law in body["laws"])
    assert all(set(action) == FEDERAL_KEYS for action in body["federal"])
    assert body["disclaimer"].startswith("Informational only, not legal advice.")


def test_api_one_state_any_case(web: FlaskClient) -> None:
    body = web.get("/api/v1/laws/va").get_json()
    assert set(body) == {"law", "federal", "disclaimer"}
    law = body["law"]
    assert (law["state"], law["state_name"], law["status"]) == ("VA", "Virginia", "regulated_kcpa")
    assert law["minimum_age"] == 21 and law["effective_on"] == "2023-07-01"
    assert law["seven_oh"]["thresholds"][0] == {
        "compound": "7-OH", "value": 1, "unit": "%", "basis": "of total alkaloids"
    }  # fmt: skip
    assert law["sources"][0] == {
        "url": "https://origin.vpap.org/bills/88342", "title": "VPAP: Virginia bill",
        "official": False,
    }  # fmt: skip
    assert law["verified_on"] == "2026-12-02"
    assert law["confidence"] == "M", "three secondary sources, no official text"


def test_facility_results_show_the_state_law_badge_once(web: FlaskClient) -> None:
    page = soup(web.get("/search?near=22903&radius=25"))
    [badge] = page.select("p.law-summary a.law-badge")
    assert badge.get_text() == "Kratom law in VA: REGULATED" and badge["href"] == "/laws/VA"
    assert not page.select("li.result a.law-badge")
    filtered = soup(web.get("/search?near=22903&radius=25&law=regulated_kcpa"))
    badges = filtered.select("li.result a.law-badge")
    assert badges and all(b.get_text() == "Kratom law in VA: REGULATED" for b in badges)
    hit = web.get("/api/v1/facilities?near=22903&per_page=1").get_json()["results"][0]
    assert hit["state_law"]["status"] == "regulated_kcpa"
    assert hit["state_law"]["url"].endswith("/api/v1/laws/VA")


def test_facility_search_filters_by_state_law_status(web: FlaskClient) -> None:
    kept = web.get("/api/v1/facilities?near=22903&law=regulated_kcpa&law=banned").get_json()
    everything = web.get("/api/v1/facilities?near=22903").get_json()
    assert kept["total"] == everything["total"] > 0
    assert kept["law"] == ["regulated_kcpa", "banned"]
    none = web.get("/api/v1/facilities?near=22903&law=banned").get_json()
    assert none["total"] == 0
    page = soup(web.get("/search?near=22903&law=banned"))
    assert "0 facilities" in page.select_one("#results-heading").get_text()
    assert page.select_one("input[name=law][value=banned]").has_attr("checked")


def test_facility_search_filter_follows_a_reviewed_status_change(
    web: FlaskClient, law_app: Flask
) -> None:
    set_law(law_app.extensions["engine"], "VA", status="banned")
    assert web.get("/api/v1/facilities?near=22903&law=banned").get_json()["total"] > 0


def test_a_reviewed_status_change_shows_on_the_next_results_page(
    web: FlaskClient, law_app: Flask
) -> None:
    """The badges are kept drawn between pages, keyed by the status each request reads."""
    url = "/search?near=22903&radius=25"
    badge = soup(web.get(url)).select_one("p.law-summary a.law-badge")
    assert badge.get_text() == "Kratom law in VA: REGULATED"
    set_law(law_app.extensions["engine"], "VA", status="banned")
    page = soup(web.get(url))
    assert page.select_one("p.law-summary a.law-badge").get_text() == "Kratom law in VA: BANNED"
    assert "law-banned" in page.select_one("p.law-summary a.law-badge")["class"]
    spanish = soup(web.get(url + "&lang=es")).select_one("p.law-summary a.law-badge")
    assert spanish.get_text() == "Ley sobre el kratom en VA: PROHIBIDO"


def test_an_unknown_law_status_is_a_400_sentence(web: FlaskClient) -> None:
    api = web.get("/api/v1/facilities?near=22903&law=legal")
    assert api.status_code == 400
    assert api.get_json()["error"]["field"] == "law"
    assert "is not a kratom-law status" in api.get_json()["error"]["message"]
    page = web.get("/search?near=22903&law=legal")
    assert page.status_code == 400
    assert "is not a kratom-law status" in soup(page).select_one("#search-error").get_text()
    meetings = web.get("/api/v1/meetings?near=14456&law=legal")
    assert meetings.status_code == 400
    assert web.get("/meetings/?near=14456&law=legal").status_code == 400


def test_meeting_results_show_the_badge_and_filter_by_law(web: FlaskClient) -> None:
    page = soup(web.get("/meetings/?near=Geneva,+NY&radius=25"))
    badges = page.select("li.meeting a.law-badge")
    assert badges and badges[0].get_text() == "Kratom law in NY: AGE LIMIT"
    kept = web.get("/api/v1/meetings?near=14456&radius=25&law=age_limit_only").get_json()
    assert kept["total"] > 0
    assert all(r["state_law"]["status"] == "age_limit_only" for r in kept["results"])
    dropped = web.get("/api/v1/meetings?near=14456&radius=25&law=banned").get_json()
    assert dropped["total"] == 0
    empty = soup(web.get("/meetings/?near=14456&radius=25&law=banned"))
    assert "0 meetings" in empty.select_one("#results-heading").get_text()


def test_laws_are_in_the_site_navigation(web: FlaskClient) -> None:
    nav = soup(web.get("/")).select_one("header nav")
    assert nav.select_one('a[href="/laws"]').get_text() == "Kratom laws"


def test_facility_and_meeting_pages_link_their_state_law(web: FlaskClient) -> None:
    results = soup(web.get("/search?near=22903&radius=25"))
    facility = soup(web.get(results.select_one("li.result h3 a")["href"]))
    assert facility.select_one("a.law-badge").get_text() == "Kratom law in VA: REGULATED"
    meetings = soup(web.get("/meetings/?near=14456&radius=25"))
    meeting = soup(web.get(meetings.select_one("li.meeting h3 a")["href"]))
    assert meeting.select_one("a.law-badge")["href"] == "/laws/NY"


@pytest.mark.parametrize(
    "path",
    ["/laws/x", "/laws/" + "y" * 3000, "/laws/%27%3B--", "/laws/12", "/api/v1/laws/VAX"],
)
def test_odd_state_codes_are_404_sentences_never_500(web: FlaskClient, path: str) -> None:
    response = web.get(path)
    assert response.status_code == 404
    assert "is not a state code we know" in response.get_data(as_text=True)


@pytest.mark.parametrize("query", ["sort=x" * 200, "dir=sideways", "sort=%00"])
def test_odd_table_sorts_are_400_sentences(web: FlaskClient, query: str) -> None:
    response = web.get("/laws?" + query)
    assert response.status_code == 400
    assert "sort" in soup(response).select_one("main").get_text().lower()


def test_the_law_filter_keeps_the_search_on_the_spatial_index(engine: Engine) -> None:
    from locator.facilities.search import HIT_FIELDS, FacilityQuery, facility_conditions
    from locator.places.geo import Point
    from locator.places.spatial import RankedQuery, page_statement

    origin = Point(38.03, -78.48)
    query = FacilityQuery(origin=origin, radius=25, law_statuses=("regulated_kcpa", "banned"))
    conditions, filters = facility_conditions(query)
    assert conditions[-1] == (
        "t.state IN (SELECT l.state FROM state_law l "
        "WHERE l.status IN ('regulated_kcpa', 'banned'))"
    )
    sql, values = page_statement(
        engine.dialect.name,
        RankedQuery("facility", conditions, HIT_FIELDS),
        origin,
        40.0,
        limit=25,
        offset=0,
        params=filters,
    )
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # Describe this test's tables, not statistics an earlier test's import left.
            conn.execute(text("ANALYZE facility"))
            conn.execute(text("ANALYZE state_law"))
            conn.execute(text("SET enable_seqscan = off"))
            plan = conn.exec_driver_sql("EXPLAIN " + sql, values).all()
        else:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, values).all()
    text_plan = " ".join(str(row) for row in plan)
    assert "ix_spatial_facility" in text_plan
    assert "SCAN facility" not in text_plan and "Seq Scan on facility" not in text_plan


def test_a_listing_in_a_city_with_its_own_rule_shows_it(web: FlaskClient, law_app: Flask) -> None:
    from tests.utils.facilities import add_sites, site

    engine = law_app.extensions["engine"]
    add_sites(engine, [site("Spokane clinic", 47.6588, -117.4260, state="WA", city="Spokane")])
    page = soup(web.get("/search?lat=47.6588&lon=-117.4260&radius=5"))
    [result] = page.select("li.result")
    assert result.select_one("a.law-badge").get_text() == "Kratom law in WA: NO STATE LAW"
    assert result.select_one("span.local-law").get_text() == "Local rule in Spokane: ban"
    hit = web.get("/api/v1/facilities?lat=47.6588&lon=-117.4260&radius=5").get_json()
    assert hit["results"][0]["state_law"]["local"] == [
        {
            "place": "Spokane",
            "county": "",
            "kind": "ban",
            "source_url": "https://www.spokesman.com/stories/2026/mar/02/spokane-bans-sale-of-kratom/",
        }
    ]


def test_a_changed_local_rule_shows_on_the_next_results_page(
    web: FlaskClient, law_app: Flask
) -> None:
    from sqlalchemy import text

    from tests.utils.facilities import add_sites, site

    engine = law_app.extensions["engine"]
    add_sites(engine, [site("Spokane clinic", 47.6588, -117.4260, state="WA", city="Spokane")])
    url = "/search?lat=47.6588&lon=-117.4260&radius=5"
    shown = soup(web.get(url)).select_one("span.local-law").get_text()
    assert shown == "Local rule in Spokane: ban"
    with engine.begin() as connection:
        connection.execute(
            text("UPDATE local_restriction SET unconfirmed = :yes WHERE place = 'Spokane'"),
            {"yes": True},
        )
    shown = soup(web.get(url)).select_one("span.local-law").get_text()
    assert shown == "Local rule in Spokane: ban (unconfirmed)"
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM local_restriction WHERE place = 'Spokane'"))
    assert soup(web.get(url)).select_one("span.local-law") is None


def test_sorting_by_confidence_puts_rows_with_none_last(web: FlaskClient) -> None:
    rows = soup(web.get("/laws?sort=confidence")).select("table.law-table tbody tr")
    high = {r["data-state"] for r in rows[:4]}
    assert high == {"OH", "RI", "SC", "WV"}, "High: the law's own text"
    assert {r["data-state"] for r in rows[-4:]} == {"AS", "GU", "MP", "VI"}


def test_the_law_filter_stays_folded_until_used(web: FlaskClient) -> None:
    home = soup(web.get("/"))
    box = home.select_one("details.law-filter-box")
    assert box is not None and not box.has_attr("open")
    assert len(box.select("input[name=law]")) == 7
    chosen = soup(web.get("/search?near=22903&law=age_limit_only"))
    assert chosen.select_one("details.law-filter-box").has_attr("open")
