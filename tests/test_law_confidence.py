"""The kratom-law rows held to the written confidence rule, and wording that cannot mislead."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.cli import cli
from locator.laws.confidence import CONFIDENCE_RULE, MISSING, grade, site
from locator.models import LawChangeProposal, LawHistory, StateLaw
from locator.places.law_filter import LawStatus
from scrapers.base import FeedSchemaError
from scrapers.law_snapshot import (
    LAWS_DIR,
    REVIEW_SOURCE,
    REVIEWS_FORMAT,
    STATES_FORMAT,
    check_reviews,
    read_json,
)
from tests.conftest import make_app

STATES = read_json(LAWS_DIR / "states.json", STATES_FORMAT)
REVIEWS = read_json(LAWS_DIR / "reviews.json", REVIEWS_FORMAT)


@pytest.fixture
def law_app(db_url: str) -> Iterator[Flask]:
    app = make_app(db_url)
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def web(law_app: Flask) -> FlaskClient:
    return law_app.test_client()


def rows(engine: Engine) -> list[StateLaw]:
    with Session(engine) as session:
        return list(session.scalars(select(StateLaw)))


def page(web: FlaskClient, url: str) -> BeautifulSoup:
    response = web.get(url)
    assert response.status_code == 200
    return BeautifulSoup(response.data, "html.parser")


def facts(soup: BeautifulSoup) -> dict[str, str]:
    return {
        dt.get_text(): dt.find_next_sibling("dd").get_text(" ", strip=True)
        for dt in soup.select("dl.law-facts dt")
    }


def law(url: str, title: str = "t", kind: str = "secondary") -> dict[str, object]:
    official = kind in ("law", "official")
    return {"url": url, "title": title, "kind": kind, "official": official, "read": True}


def test_the_rule_needs_the_law_text_for_high_and_two_websites_for_medium() -> None:
    assert grade([law("https://code.wvlegislature.gov/19-12F-4/", kind="law")]) == "H"
    two = [law("https://www.wrkf.org/a"), law("https://www.redriverradio.org/b")]
    assert grade(two) == "M"
    same_site = [law("https://www.mass.gov/a", kind="official"), law("https://mass.gov/b")]
    assert grade(same_site) == "L", "two pages of one website are one source"
    assert grade([law("https://vendor.example/a", kind="lead")] * 3) == "L", "leads never count"
    assert grade([]) == ""
    assert site("https://www.scstatehouse.gov/x") == "scstatehouse.gov"


def test_every_row_carries_the_confidence_the_rule_gives_its_sources(engine: Engine) -> None:
    found = rows(engine)
    assert len(found) == 56
    for row in found:
        assert row.confidence == grade(row.sources), row.state
        if row.confidence == "H":
            assert any(s["kind"] == "law" and s["official"] for s in row.sources), row.state
        if row.confidence in ("L", ""):
            assert row.unconfirmed, f"{row.state}: a Low row is marked unconfirmed"


def test_rows_graded_high_on_one_secondary_source_were_regraded(engine: Engine) -> None:
    by_state = {row.state: row for row in rows(engine)}
    before = {row["state"]: row["confidence"] for row in STATES["states"]}
    for code in ("WI", "VT", "IN", "GA", "KY", "NV", "OR"):
        assert before[code] == "H"
        assert by_state[code].confidence in ("M", "L"), code
    assert {c for c, r in by_state.items() if r.confidence == "H"} == {"OH", "RI", "SC", "WV"}


def test_every_ban_has_an_effective_date_or_says_why_not(engine: Engine) -> None:
    bans = [row for row in rows(engine) if row.status in (LawStatus.BANNED, "temporary_ban")]
    assert len(bans) == 11
    for row in bans:
        assert row.effective_on or "effective date" in row.notes.lower(), row.state


def test_a_review_claiming_high_without_the_law_text_is_refused() -> None:
    broken = copy.deepcopy(REVIEWS)
    wisconsin = next(r for r in broken["reviews"] if r["state"] == "WI")
    wisconsin["changes"]["confidence"] = "H"
    with pytest.raises(FeedSchemaError, match="WI: confidence 'H' but the rule gives 'M'"):
        check_reviews(STATES, broken)
    wisconsin["changes"]["confidence"] = "M"
    wisconsin["changes"]["sources"][0]["kind"] = "statute"
    with pytest.raises(FeedSchemaError, match="source kind 'statute'"):
        check_reviews(STATES, broken)


def test_the_confidence_rule_is_on_the_site_in_words(web: FlaskClient) -> None:
    laws = page(web, "/laws")
    rule = laws.select_one("#confidence-rule").find_parent("section").get_text(" ", strip=True)
    for sentence in CONFIDENCE_RULE.values():
        assert sentence in rule
    cells = {td.get_text() for td in laws.select("table.law-table td.confidence")}
    assert cells == {"High", "Medium", "Low", "None"}, "words, never a bare letter"


def test_a_banned_state_cannot_be_sold_at_any_age_and_no_age_rule_says_so(
    web: FlaskClient,
) -> None:
    kansas = facts(page(web, "/laws/KS"))
    assert kansas["Minimum age to buy"] == "None: kratom cannot be sold legally at any age"
    alaska = facts(page(web, "/laws/AK"))
    assert alaska["Minimum age to buy"] == "no minimum age in state law"
    table = page(web, "/laws").select_one('tr[data-state="AL"] td.minimum-age').get_text()
    assert table == "cannot be sold legally at any age"


def test_missing_dates_are_said_in_words_and_wisconsin_has_one_7oh_line(web: FlaskClient) -> None:
    wisconsin = page(web, "/laws/WI")
    dates = facts(wisconsin)
    assert dates["Enacted or signed"] == "2014-04-23"
    assert dates["In effect since"] == "not given in the sources found"
    assert "—" not in " ".join(dates.values())
    seven_oh = wisconsin.select_one("section.seven-oh").get_text(" ", strip=True)
    assert seven_oh.count("covered by the statewide kratom ban") == 1
    alabama = page(web, "/laws/AL").select_one("section.seven-oh").get_text(" ", strip=True)
    assert "Covered by the ban" not in alabama


def test_a_row_below_high_says_what_is_missing(web: FlaskClient) -> None:
    wisconsin = page(web, "/laws/WI")
    assert wisconsin.select_one("strong.confidence").get_text() == "Medium"
    assert wisconsin.select_one("p.missing").get_text() == MISSING["M"]
    vermont = page(web, "/laws/VT")
    assert vermont.select_one("strong.confidence").get_text() == "Low"
    assert vermont.select_one("p.missing").get_text() == MISSING["L"]
    rhode_island = page(web, "/laws/RI")
    assert rhode_island.select_one("p.missing") is None
    kinds = [li["class"][0] for li in rhode_island.select("ul.sources li")]
    assert kinds[0] == "source-law"
    unread = [li for li in rhode_island.select("ul.sources li") if li.select_one(".source-unread")]
    hrefs = [li.select_one("a")["href"] for li in unread]
    assert len(hrefs) == 2 and hrefs[0].endswith("21-28.12-6.htm"), "links kept from the notes"


def test_the_research_review_shows_in_the_state_history(web: FlaskClient, engine: Engine) -> None:
    history = page(web, "/laws/WI").select_one("ul.law-history").get_text(" ", strip=True)
    assert "2026-12-02" in history and "Reviewed by project research on 2026-12-02" in history
    assert "confidence High → Medium" in history
    with Session(engine) as session:
        shipped = list(
            session.scalars(
                select(LawChangeProposal).where(col(LawChangeProposal.source) == REVIEW_SOURCE)
            )
        )
        assert len(shipped) == 56 and {p.status for p in shipped} == {"accepted"}
        linked = session.scalars(
            select(LawHistory).where(col(LawHistory.proposal_id).in_([p.id for p in shipped]))
        )
        assert len(list(linked)) == 56


def test_the_review_command_lists_the_research_reviews(law_app: Flask) -> None:
    listed = law_app.test_cli_runner().invoke(cli, ["laws", "review", "--all"])
    assert listed.exit_code == 0, listed.output
    assert "[accepted] 2026-12-02 project_research WI" in listed.output
    pending = law_app.test_cli_runner().invoke(cli, ["laws", "review"])
    assert "No proposal to review." in pending.output


def test_spanish_pages_translate_status_words_and_mark_research_notes_english(
    web: FlaskClient,
) -> None:
    kansas = page(web, "/laws/KS?lang=es")
    assert kansas.select_one("p.law-status .law-badge").get_text() == "PROHIBIDO"
    status = kansas.select_one("p.law-status").get_text(" ", strip=True)
    assert "no se puede vender legalmente a ninguna edad" in status
    assert kansas.select_one("p.law-notes span[lang=en]") is not None
    assert kansas.select_one("strong.confidence").get_text() == "Media"
    overlay = kansas.select_one("p.federal-overlay").get_text(" ", strip=True)
    assert "Propuesta, no vigente según nuestros registros" in overlay
    assert page(web, "/laws/PR").select_one("ul.sources a[lang=es]") is not None
    assert kansas.select_one("ol.federal span[lang=en]") is not None
    table = page(web, "/laws?lang=es")
    assert table.select_one('tr[data-state="RI"] td.confidence').get_text() == "Alta"


def test_the_openapi_document_lists_the_law_filter(web: FlaskClient) -> None:
    document = web.get("/api/v1/openapi.json").get_json()
    for path in ("/api/v1/facilities", "/api/v1/meetings", "/api/v1/facilities/export"):
        params = {p["name"]: p for p in document["paths"][path]["get"]["parameters"]}
        assert params["law"]["schema"]["items"]["enum"] == [s.value for s in LawStatus], path
    narrowed = web.get("/api/v1/facilities?near=22903&law=regulated_kcpa,banned")
    assert narrowed.status_code == 200
    assert web.get("/api/v1/facilities?near=22903&law=legal").status_code == 400
