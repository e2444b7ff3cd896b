"""Kratom-law pages and API, law badges on results, and the law-status search filter."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
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
    assert {r.select_one("td.status").get_text() for r in first} == {"Banned"}
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
    assert page.select_one("p.provenance time")["datetime"] == "2026-08-22"
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
    set_law(law_app.extensions["engine"], "ND", expires_on=date(2026, 1, 31))
    page = soup(web.get("/laws/ND"))
    assert (
        "Temporary ban expired 2026-01-31 (awaiting review)"
        in page.select_one("p.law-status").get_text()
    )
    assert "awaiting review" in page.select_one("p.warning[role=alert]").get_text()
    body = web.get("/api/v1/laws/ND").get_json()
    assert body["law"]["status"] == "temporary_ban"
    assert body["law"]["status_label"].startswith("Temporary ban expired 2026-01-31")


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
    assert law["verified_on"] == "2026-08-22"
    assert law["confidence"] == "H"


def test_facility_results_show_the_state_law_badge(web: FlaskClient) -> None:
    page = soup(web.get("/search?near=22903&radius=25"))
    badges = page.select("li.result a.law-badge")
    assert badges and all(b.get_text() == "Kratom law in VA: REGULATED" for b in badges)
    assert badges[0]["href"] == "/laws/VA"
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
