"""The pages people see, read as parsed HTML."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from tests.utils.facilities import add_sites, site


def soup(client: FlaskClient, url: str, status: int = 200) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    assert response.mimetype == "text/html"
    return BeautifulSoup(response.data, "html.parser")


PAGES = ["/", "/search?near=22903", "/facilities/1", "/search?near=Narnia", "/no-such-page"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_shows_the_crisis_lines_and_the_not_advice_note(
    client: FlaskClient, url: str
) -> None:
    page = client.get(url)
    html = BeautifulSoup(page.data, "html.parser")
    crisis = html.select_one("aside.crisis")
    assert crisis is not None
    assert {a["href"] for a in crisis.select("a")} == {"tel:988", "tel:+18006624357"}
    assert "1-800-662-4357" in crisis.get_text()
    assert "Not medical or legal advice" in html.select_one("footer").get_text()


def test_home_page_says_what_the_data_covers_and_how_to_load_more(client: FlaskClient) -> None:
    page = soup(client, "/")
    coverage = page.select_one("section.coverage").get_text(" ", strip=True)
    assert "23 treatment facilities in Virginia" in coverage
    assert "not national coverage" in coverage
    assert "2019-05-30" in coverage and "sample" in coverage
    assert page.select_one("section.coverage code").get_text() == "locator import samhsa --live"


def test_home_page_form_has_labelled_fields(client: FlaskClient) -> None:
    page = soup(client, "/")
    form = page.select_one("form.search-form")
    assert form["action"] == "/search" and form["method"] == "get"
    for control in form.select("input[id], select[id]"):
        assert page.select_one(f"label[for={control['id']}]") is not None


def test_search_by_zip_lists_results_nearest_first_with_phone_and_directions(
    client: FlaskClient,
) -> None:
    page = soup(client, "/search?near=22903&radius=10")
    heading = page.select_one("#results-heading").get_text(" ", strip=True)
    assert heading.endswith("within 10 mi")
    results = page.select("li.result")
    assert results
    distances = [float(r.select_one(".distance").get_text().split()[0]) for r in results]
    assert distances == sorted(distances)
    first = results[0]
    assert first.select_one("a.call")["href"].startswith("tel:+1")
    assert first.select_one("a[href*='google.com/maps/dir']") is not None
    assert "2019-05-30" in first.select_one(".provenance").get_text()
    link = first.select_one("h3 a")["href"]
    assert link.startswith("/facilities/")


def test_service_filter_from_the_form_narrows_the_results(client: FlaskClient) -> None:
    everything = soup(client, "/search?near=22903&radius=50").select("li.result")
    telehealth = soup(client, "/search?near=22903&radius=50&service=telehealth").select("li.result")
    assert 0 < len(telehealth) < len(everything)
    for result in telehealth:
        assert "Telehealth" in [li.get_text() for li in result.select(".badges li")]


def test_search_keeps_what_was_typed_in_the_form(client: FlaskClient) -> None:
    page = soup(client, "/search?near=Charlottesville%2C+VA&radius=15&unit=km&service=outpatient")
    assert page.select_one("#near")["value"] == "Charlottesville, VA"
    assert page.select_one("#radius")["value"] == "15"
    assert page.select_one("#unit option[selected]")["value"] == "km"
    assert [box["value"] for box in page.select("#service input:checked")] == ["outpatient"]


def distance_of(result: Any) -> float:
    """Return the distance a result row shows ("about 12.5 mi away" -> 12.5)."""
    found = re.search(r"\d[\d,]*(?:\.\d+)?", result.select_one(".distance").get_text())
    assert found is not None
    return float(found.group().replace(",", ""))


def test_no_results_lists_the_nearest_beyond_and_says_what_to_try(client: FlaskClient) -> None:
    page = soup(client, "/search?near=99501&radius=5")  # Anchorage: the sample is in Virginia
    assert "0 facilities" in page.select_one("#results-heading").get_text()
    empty = page.select_one(".empty-search")
    assert "No facility in the loaded data lies within 5 mi of Anchorage" in empty.get_text()
    nearest = empty.select(".nearest-outside .result")
    assert len(nearest) == 5
    miles = [
        float(r.select_one(".distance").get_text().split()[0].replace(",", "")) for r in nearest
    ]
    assert miles == sorted(miles) and miles[0] > 500
    # Virginia is farther than the largest distance allowed: no "search within" is offered.
    assert "largest distance this search allows" in empty.get_text()
    assert not empty.select("a[href*='radius=']")
    advice = empty.select_one("ul.advice").get_text()
    assert "1-800-662-4357" in advice and "FindTreatment.gov" in advice
    assert "telehealth" in empty.select_one("ul.advice a[href*='service=telehealth']")["href"]


def test_an_empty_radius_offers_a_distance_that_would_find_something(client: FlaskClient) -> None:
    page = soup(client, "/search?near=Richmond%2C+VA&radius=5")  # ~45 mi from Charlottesville
    empty = page.select_one(".empty-search")
    first = distance_of(empty.select_one(".nearest-outside .result"))
    wider = empty.select_one("a[href*='radius=']")
    radius = int(parse_qs(urlsplit(wider["href"]).query)["radius"][0])
    assert f"Search within {radius} mi" in wider.get_text()
    assert 25 < first <= radius == 50  # the smallest offered distance that reaches it
    widened = soup(client, wider["href"])
    assert widened.select(".result-list .result") and not widened.select(".empty-search")


def test_nothing_matching_anywhere_says_so(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&radius=5&service=hospital_inpatient&service=otp")
    empty = page.select_one(".empty-search").get_text()
    assert "offers" in empty and "None exists anywhere in the loaded data" in empty


def test_a_state_search_that_finds_nothing_has_no_distance_advice(client: FlaskClient) -> None:
    page = soup(client, "/search?near=Montana")
    assert page.select_one("h1").get_text() == "Treatment in Montana"
    assert "0 facilities in Montana" in page.select_one("#results-heading").get_text()
    empty = page.select_one(".empty-search").get_text()
    assert "No facility in Montana matches" in empty
    assert "The nearest matches outside Montana" in empty
    assert "distance" not in empty.replace("largest distance", "")
    assert page.select(".nearest-outside .result")  # from Montana's centre: no "mi away"
    assert not page.select(".empty-search .distance") and " away" not in empty


def test_a_page_past_the_end_says_so(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&radius=25&page=9")
    past = page.select_one(".past-end").get_text()
    assert "Page 9 is past the end" in past and "Nothing matched" not in page.get_text()
    assert "page=1" in page.select_one(".past-end a")["href"]
    assert not page.select(".empty-search")


def test_an_unknown_place_re_shows_the_form_with_suggestions(client: FlaskClient) -> None:
    page = soup(client, "/search?near=Charlotesville%2C+VA", status=400)
    alert = page.select_one("[role=alert]")
    assert "couldn't find" in alert.get_text()
    suggestions = [a.get_text() for a in alert.select(".suggestions a")]
    assert "Charlottesville, VA" in suggestions
    assert page.select_one("#near")["aria-invalid"] == "true"


def test_facility_page_shows_services_grouped_and_its_provenance(client: FlaskClient) -> None:
    results = soup(client, "/search?near=22903&radius=2").select("li.result h3 a")
    page = soup(client, results[0]["href"])
    assert page.select_one("h1").get_text()
    groups = [h.get_text() for h in page.select(".service-group h3")]
    assert groups[0] == "Type of Care"
    assert "Where this comes from" in [h.get_text() for h in page.select("h2")]
    assert "2019-05-30" in page.select_one(".provenance").get_text()


def test_missing_facility_is_a_404_page_with_a_sentence(client: FlaskClient) -> None:
    page = soup(client, "/facilities/999999", status=404)
    assert "could not find that facility" in page.select_one("[role=alert]").get_text()


def test_every_result_shows_its_source_and_date(client: FlaskClient) -> None:
    results = soup(client, "/search?near=Virginia").select("li.result")
    assert results
    for result in results:
        text = result.select_one(".provenance").get_text()
        assert "FindTreatment.gov" in text and " · Last seen: " in text  # note, then the date
        # The whole state from its centre: no "mi away" from a point nobody is at.
        assert result.select_one(".distance") is None and " away" not in result.get_text()


def test_the_home_page_coverage_follows_each_import(app: Flask, client: FlaskClient) -> None:
    before = soup(client, "/").select_one("section.coverage").get_text(" ", strip=True)
    assert "23 treatment facilities" in before
    add_sites(app.extensions["engine"], [site("New Place", lat=38.9, lon=-77.0, state="DC")])
    after = soup(client, "/").select_one("section.coverage").get_text(" ", strip=True)
    assert "24 treatment facilities" in after and "District of Columbia" in after


def test_page_links_keep_every_chosen_type_of_care(client: FlaskClient) -> None:
    page = soup(
        client, "/search?near=22903&radius=50&service=outpatient&service=telehealth&per_page=2"
    )
    following = parse_qs(urlsplit(page.select_one(".pager a[rel=next]")["href"]).query)
    assert following["service"] == ["outpatient", "telehealth"] and following["page"] == ["2"]
    assert [b["value"] for b in page.select("#service input:checked")] == [
        "outpatient",
        "telehealth",
    ]
    summary = " ".join(page.select_one("details.search-summary > summary").get_text().split())
    assert summary == "Outpatient, Telehealth near Charlottesville, VA 22903 · 50 mi · Change"
    assert not page.select_one("details.search-summary").has_attr("open")
