"""The care guide and the "which kind of help?" questionnaire, read as parsed HTML."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient

from locator.facilities.guide import REVIEWED_ON, TOPICS
from locator.facilities.taxonomy import CATEGORIES
from locator.paths import STATIC_DIR
from tests.test_pages import soup

SERVICE_KEYS = {c.key for c in CATEGORIES}
REQUIRED_TOPICS = {
    "detox",
    "tapering",
    "outpatient",
    "residential",
    "telehealth",
    "medications",
    "counseling",
    "meetings",
    "aftercare",
    "kratom-withdrawal",
}


def test_the_guide_covers_every_kind_of_help_people_ask_about(client: FlaskClient) -> None:
    page = soup(client, "/guide/")
    linked = {a["href"].rstrip("/").rsplit("/", 1)[-1] for a in page.select(".guide-topics a")}
    assert linked == REQUIRED_TOPICS == {t.slug for t in TOPICS}
    assert page.select_one("a[href='/guide/which-help']") is not None


@pytest.mark.parametrize("slug", sorted(REQUIRED_TOPICS))
def test_each_guide_page_cites_sources_has_a_reviewed_date_and_a_search(
    client: FlaskClient, slug: str
) -> None:
    page = soup(client, f"/guide/{slug}")
    sources = page.select("section.sources a")
    assert sources and all(a["href"].startswith("https://") for a in sources)
    assert page.select_one("section.sources time")["datetime"] == REVIEWED_ON.isoformat()
    assert "talk to a clinician" in page.select_one(".talk-to-clinician").get_text().lower()
    searches = [a["href"] for a in page.select(".guide-search .actions a")]
    assert searches
    for href in searches:
        parts = urlsplit(href)
        query = parse_qs(parts.query)
        assert parts.path in {"/", "/meetings/"}
        if parts.path == "/":
            assert set(query["service"]) <= SERVICE_KEYS


def test_a_guide_search_link_opens_the_form_with_that_care_chosen(client: FlaskClient) -> None:
    page = soup(client, "/guide/medications")
    href = page.select_one(".guide-search .actions a")["href"]
    form = soup(client, href)
    chosen = form.select("#service-medication input:checked")
    assert [box["value"] for box in chosen] == ["buprenorphine"]


def test_the_withdrawal_page_says_when_to_get_help_now(client: FlaskClient) -> None:
    page = soup(client, "/guide/kratom-withdrawal")
    urgent = page.select_one("aside.urgent").get_text(" ", strip=True)
    assert "911" in urgent and "988" in urgent and "seizure" in urgent
    body = page.select_one("article").get_text(" ", strip=True)
    for symptom in ("muscle aches", "trouble sleeping", "irritability", "runny nose"):
        assert symptom in body


def test_an_unknown_guide_page_is_a_404_that_points_to_the_guide(client: FlaskClient) -> None:
    page = soup(client, "/guide/no-such-topic", status=404)
    assert "/guide/" in page.get_text()


def test_the_questionnaire_never_sends_its_answers(client: FlaskClient) -> None:
    page = soup(client, "/guide/which-help")
    form = page.select_one("form#which-help")
    assert form is not None
    # No action or method: the form is never submitted; the script answers in the browser,
    # and its button stays hidden where the script does not run.
    assert not form.get("action") and not form.get("method")
    assert form.select_one("button[type=submit]").has_attr("hidden")
    assert not page.select("script:not([src])"), "no inline script"
    questions = {fs.select_one("legend").get_text() for fs in form.select("fieldset")}
    assert len(questions) == 7
    assert "talk to a clinician" in page.select_one("#which-help-note").get_text().lower()
    script = (STATIC_DIR / "js" / "which-help.js").read_text()
    assert "localStorage" not in script and "fetch(" not in script
    assert "XMLHttpRequest" not in script and "sessionStorage" not in script


def test_every_suggestion_the_script_makes_has_a_search_on_the_page(client: FlaskClient) -> None:
    page = soup(client, "/guide/which-help")
    offered = {li["data-key"]: li for li in page.select("#which-help-options li")}
    script = (STATIC_DIR / "js" / "which-help.js").read_text()
    used = set(re.findall(r'"([a-z_]+)"', " ".join(re.findall(r"keys\.push\(([^)]*)\)", script))))
    assert used and used <= set(offered)
    for key in used:
        href = offered[key]["data-search"]
        client_page = client.get(href)
        assert client_page.status_code == 200, href


def test_every_form_value_the_script_scores_is_asked_on_the_page(client: FlaskClient) -> None:
    page = BeautifulSoup(client.get("/guide/which-help").data, "html.parser")
    asked = {(i["name"], i["value"]) for i in page.select("form#which-help input")}
    script = (STATIC_DIR / "js" / "which-help.js").read_text()
    for name in ("amount", "often", "long"):
        block = re.search(name + r": \{([^}]*)\}", script)
        assert block is not None
        for value in re.findall(r"(\w+):", block.group(1)):
            assert (name, value) in asked
    for value in re.findall(r'other\.indexOf\("(\w+)"\)', script):
        assert ("other", value) in asked


def test_the_old_british_slug_redirects_to_the_us_english_page(client: FlaskClient) -> None:
    response = client.get("/guide/counselling")
    assert response.status_code == 301 and response.headers["Location"] == "/guide/counseling"
    page = soup(client, "/guide/counseling")
    assert "Counseling" in page.get_text() and "ounselling" not in page.get_text()


def test_the_detox_suggestion_is_a_search_that_finds_care(client: FlaskClient) -> None:
    page = soup(client, "/guide/which-help")
    link = page.select_one("#which-help-options li[data-key=detox]")["data-search"]
    assert "service=detox" in link and "service=hospital_inpatient" in link
    results = soup(client, link.replace("/?", "/search?") + "&near=22903&radius=25")
    # The 2019 sample lists no detox near Charlottesville, but hospitals do take people in.
    assert results.select(".result-list .result")
    assert not results.select(".empty-search")
