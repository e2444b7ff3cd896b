"""The results list drawn by locator/web/results.py and the fragments kept per language."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, quote_plus, urlencode, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import Engine

from locator.web.helpers import directions_url, tel_href
from locator.web.results import e, escaped
from tests.conftest import make_app
from tests.utils.facilities import add_sites, site


def soup(client: FlaskClient, url: str) -> BeautifulSoup:
    response = client.get(url)
    assert response.status_code == 200, response.data[:500]
    return BeautifulSoup(response.data, "html.parser")


@given(st.text())
def test_escaping_gives_what_jinja_autoescape_gives(text: str) -> None:
    assert e(text) == str(escape(text))


@given(st.lists(st.one_of(st.text(), st.sampled_from(["\0", "a\0<", "&\0\0"])), max_size=14))
def test_escaping_several_values_at_once_gives_each_one_escaped(values: list[str]) -> None:
    assert escaped(*values) == [str(escape(value)) for value in values]


@given(st.text())
def test_phone_links_keep_every_digit_of_the_number(phone: str) -> None:
    digits = "".join(ch for ch in phone if ch.isdigit())
    assert tel_href(phone) == f"tel:+{'1' + digits if len(digits) == 10 else digits}"


def test_phone_links_keep_only_the_digits_of_every_ascii_character() -> None:
    every = "".join(chr(code) for code in range(128))
    assert (
        tel_href(every) == "tel:+10123456789" and tel_href("(434) 555-0100") == "tel:+14345550100"
    )


@given(st.lists(st.text(), max_size=4))
def test_directions_links_quote_an_address_as_quote_plus_does(parts: list[str]) -> None:
    address = ", ".join(p for p in parts if p)
    expected = f"https://www.google.com/maps/dir/?api=1&destination={quote_plus(address)}"
    assert directions_url(*parts) == expected


def test_directions_links_quote_every_ascii_character_as_quote_plus_does() -> None:
    every = "".join(chr(code) for code in range(128))
    assert directions_url(every).endswith(f"destination={quote_plus(every)}")


def test_listing_text_from_a_source_is_shown_as_text_never_as_markup(
    engine: Engine, client: FlaskClient
) -> None:
    name = "Care <b>&</b> \"Hope\" 'Inc' <script>alert(1)</script>"
    add_sites(
        engine,
        [site(name, 38.0, -78.5, street="<i>1</i> Main", city="A&B", phone="(434) 555-0100")],
    )
    response = client.get("/search?lat=38.0&lon=-78.5&radius=1")
    assert b"<script>alert(1)" not in response.data and b"<b>&</b>" not in response.data
    item = BeautifulSoup(response.data, "html.parser").select_one("li.result")
    assert item.select_one("h3 a").get_text() == f"Test site {name}"
    assert item["data-name"] == f"Test site {name}"
    assert item.select_one("h3 b") is None and item.select_one("script") is None
    address = item.select_one("p.address").get_text("|")
    assert address.startswith("<i>1</i> Main|A&B, VA")
    assert item.select_one("a.call")["href"] == "tel:+14345550100"


def test_each_result_links_to_its_own_page_report_form_and_referral(client: FlaskClient) -> None:
    items = soup(client, "/search?near=22903&radius=25").select("li.result")
    assert len(items) > 3
    for item in items:
        ident = item["id"].removeprefix("facility-")
        assert item.select_one("h3 a")["href"] == f"/facilities/{ident}"
        assert item.select_one("a.report-link")["href"] == f"/facilities/{ident}/report"
        assert item.select_one("button.add-referral")["data-add-referral"] == f"f{ident}"
        assert item.select_one("p.provenance time")["datetime"]
        assert item.select_one("p.law-line") is None  # the state's law is said once, above


def test_filters_beyond_care_show_on_each_result_as_why_it_matched(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&radius=50&service=medicaid")
    items = page.select("li.result")
    assert items
    for item in items:
        assert [b.get_text() for b in item.select("li.matched")] == ["Medicaid"]


def test_export_links_carry_the_search_but_not_its_page(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&radius=25&service=medicaid&per_page=5&page=2")
    links = {a.get_text(): a["href"] for a in page.select("p.export-links a")}
    assert set(links) == {"CSV", "Excel", "printable PDF", "HSDS JSON", "HSDS data package"}
    suffixes = ("csv", "xlsx", "pdf", "hsds.json", "hsds.zip")
    for href, suffix in zip(links.values(), suffixes, strict=True):
        parts = urlsplit(href)
        assert parts.path == f"/export/facilities.{suffix}"
        query = parse_qs(parts.query)
        assert query == {"near": ["22903"], "radius": ["25"], "service": ["medicaid"]}
    assert client.get(links["CSV"]).status_code == 200


def test_site_chrome_follows_each_request_language(client: FlaskClient) -> None:
    def nav(url: str) -> str:
        return soup(client, url).select_one("header.site-header nav").get_text(" ", strip=True)

    english = nav("/?lang=en")
    spanish = nav("/?lang=es")
    assert "Find a meeting" in english and "Find a meeting" not in spanish
    assert nav("/?lang=en") == english and nav("/laws?lang=es") == spanish


def test_more_filters_show_the_choice_of_each_request(app: Flask, client: FlaskClient) -> None:
    def chosen(url: str) -> tuple[bool, list[str], list[str]]:
        form = soup(client, url).select_one("form.search-form")
        more = form.select_one("details.more-filters")
        selected = [str(o["value"]) for o in more.select("option[selected]")]
        laws = [str(i["value"]) for i in form.select("input[name=law][checked]")]
        return bool(more.has_attr("open")), selected, laws

    assert chosen("/search?near=22903&service=medicaid&law=unregulated") == (
        True,
        ["medicaid"],
        ["unregulated"],
    )
    assert chosen("/search?near=22903") == (False, [], [])
    assert chosen("/search?near=22903&service=medicaid&law=unregulated")[1] == ["medicaid"]
    assert len(app.extensions["fragment_cache"]) >= 2, "drawn once per choice, then reused"


def test_fragments_are_drawn_afresh_while_templates_reload(db_url: str) -> None:
    app = make_app(db_url, TEMPLATES_AUTO_RELOAD=True)
    client = app.test_client()
    assert client.get("/").status_code == 200
    assert len(app.extensions["fragment_cache"]) == 0
    app.extensions["engine"].dispose()


def test_the_state_law_is_said_once_under_the_heading_unless_the_law_filter_is_on(
    client: FlaskClient,
) -> None:
    page = soup(client, "/search?near=22903&radius=25")
    summary = page.select("section.results > p.law-summary a.law-badge")
    assert [a["href"] for a in summary] == ["/laws/VA"]
    assert not page.select("li.result .law-line")
    filtered = soup(client, "/search?near=22903&radius=25&law=regulated_kcpa")
    items = filtered.select("li.result")
    assert items and all(i.select_one("p.law-line a.law-badge") for i in items)
    assert not filtered.select("p.law-summary")
    detail = soup(client, items[0].select_one("h3 a")["href"])
    assert detail.select_one("a.law-badge")["href"] == "/laws/VA"


@pytest.fixture
def drawn_afresh(db_url: str) -> Iterator[FlaskClient]:
    """A client of an app that keeps no fragment (templates reload): every page drawn anew."""
    app = make_app(db_url, TEMPLATES_AUTO_RELOAD=True)
    yield app.test_client()
    app.extensions["engine"].dispose()


# Pages of every kind around the layout; values with markup and the layout's own stand-ins.
_PATHS = st.sampled_from(
    ["/", "/search", "/search?near=22903&radius=25", "/search?near=zzzz", "/laws", "/nowhere"]
)
_ARGS = st.lists(
    st.tuples(
        st.sampled_from(["near", "radius", "page", "x"]),
        st.sampled_from(["<b>&\"'</b>", "\ue000main\ue000", "\ue000title\ue000", "25", ""]),
    ),
    max_size=3,
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=_PATHS, args=_ARGS)
def test_the_kept_page_layout_is_the_layout_drawn_afresh(
    client: FlaskClient, drawn_afresh: FlaskClient, path: str, args: list[tuple[str, str]]
) -> None:
    """The layout is kept per language with stand-ins for each request's parts: filled in,
    every page must be the page drawn afresh, in either language, in either order."""
    for lang in ("es", "en", "es"):
        joiner = "&" if "?" in path else "?"
        url = f"{path}{joiner}{urlencode([*args, ('lang', lang)])}"
        kept, fresh = client.get(url), drawn_afresh.get(url)
        assert kept.status_code == fresh.status_code
        assert kept.get_data(as_text=True) == fresh.get_data(as_text=True), url


def test_template_macros_are_the_macros_an_import_gives(app: Flask) -> None:
    source = (
        '{% from "_law_macros.html" import law_status_badge %}'
        '{{ law_status_badge is sameas(template_macros("_law_macros.html").law_status_badge) }}'
    )
    with app.test_request_context("/"):
        assert app.jinja_env.from_string(source).render() == "True"
