"""The facility search form: every filter group, the URL as the whole state of a search,
and searching from the visitor's own location."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask.testing import FlaskClient

from locator.facilities.taxonomy import GROUPS, categories_in
from tests.test_pages import soup


def test_the_form_offers_every_filter_group_of_the_vocabulary(client: FlaskClient) -> None:
    form = soup(client, "/").select_one("form.search-form")
    offered = {o["value"] for o in form.select("select[name=service] option") if o["value"]}
    offered |= {box["value"] for box in form.select("input[type=checkbox][name=service]")}
    for group in GROUPS:
        assert {c.key for c in categories_in(group.key)} <= offered, group.key
    assert form.select_one("#service a[href^='/meetings/']") is not None
    labels = {label.get_text(strip=True) for label in form.select("label")}
    for wanted in ("Payment", "Language", "Age group", "Special programs"):
        assert wanted in labels


def test_filters_from_the_url_come_back_chosen_and_open(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&radius=50&service=telehealth&service=medicaid")
    assert [b["value"] for b in page.select("#service input:checked")] == ["telehealth"]
    assert page.select_one("select#service-payment option[selected]")["value"] == "medicaid"
    assert page.select_one("details.more-filters").has_attr("open")
    assert (
        not soup(client, "/search?near=22903").select_one("details.more-filters").has_attr("open")
    )


def test_each_result_shows_the_filter_it_matched(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&radius=50&service=medicaid")
    results = page.select(".result")
    assert results
    for result in results:
        assert "Medicaid" in [b.get_text(strip=True) for b in result.select(".badges .matched")]
    everything = soup(client, "/search?near=22903&radius=50").select(".result")
    assert len(results) < len(everything)


def test_the_pager_keeps_every_filter_in_its_links(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&radius=100&per_page=2&service=outpatient")
    following = page.select_one(".pager a[rel=next]")
    assert following is not None
    query = parse_qs(urlsplit(following["href"]).query)
    assert query["service"] == ["outpatient"] and query["near"] == ["22903"]
    assert query["per_page"] == ["2"] and query["page"] == ["2"]


def test_a_search_from_my_location_keeps_the_coordinates_in_the_form(
    client: FlaskClient,
) -> None:
    page = soup(client, "/search?lat=38.03&lon=-78.48&radius=25")
    form = page.select_one("form.search-form")
    assert form.select_one("input[type=hidden][name=lat]")["value"] == "38.03"
    assert not form.select_one("#near").has_attr("required")
    assert "your location" in page.select_one("h1").get_text()
    assert page.select(".result")


def test_a_typed_place_wins_over_old_coordinates(client: FlaskClient) -> None:
    # Alaska coordinates, but the person typed a Virginia ZIP: they mean Virginia.
    page = soup(client, "/search?near=22903&lat=61.2&lon=-149.9&radius=25")
    assert "22903" in page.select_one("h1").get_text()
    assert page.select(".result")
