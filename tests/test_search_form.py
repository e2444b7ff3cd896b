"""The facility search form: every filter group, the URL as the whole state of a search,
and searching from the visitor's own location."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

from flask import Flask, request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


# Values a visitor may send, odd ones included: markup, the form cache's own stand-in marks.
_VALUES = st.one_of(
    st.sampled_from(
        ("", "25", "mi", "km", "on", "detox", "outpatient", "medicaid", "buprenorphine", "banned")
    ),
    st.sampled_from(("regulated_kcpa", "<b>&\"'</b>", "\ue000near\ue000", "\ue000summary\ue000")),
    st.text(max_size=6),
)
_NAMES = st.sampled_from(["near", "lat", "lon", "radius", "unit", "confirmed", "service", "law"])


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    args=st.lists(st.tuples(_NAMES, _VALUES), max_size=8),
    summary=st.one_of(st.none(), st.just(""), _VALUES),
    lang=st.sampled_from(["en", "es"]),
)
def test_the_kept_search_form_is_the_form_drawn_afresh(
    app: Flask, args: list[tuple[str, str]], summary: str | None, lang: str
) -> None:
    """The form is kept per language and shape with stand-ins for what was typed: filled in,
    it must be what the macro draws for these very values, first time and from the cache."""
    macros = app.jinja_env.get_template("_macros.html").module
    with app.test_request_context("/search?" + urlencode([*args, ("lang", lang)])):
        fresh = macros.draw_search_form(request.args, summary=summary)  # type: ignore[attr-defined]
        kept = macros.search_form(request.args, summary=summary)  # type: ignore[attr-defined]
        again = macros.search_form(request.args, summary=summary)  # type: ignore[attr-defined]
    assert str(kept) == str(fresh) == str(again)
