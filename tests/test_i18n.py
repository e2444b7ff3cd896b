"""The interface in Spanish: a complete catalog, and pages, errors and the API that follow it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from babel.messages.catalog import Catalog
from bs4 import BeautifulSoup
from flask import Flask, request
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlmodel import Session

from locator.cli import cli
from locator.facilities.guide import TOPICS
from locator.facilities.taxonomy import CATEGORIES, GROUPS
from locator.models import Facility
from locator.ops import translations as i18n_catalog
from locator.paths import PACKAGE_DIR
from locator.web.i18n import LANGUAGE_NAMES, language_links, same_site_path
from scrapers.meeting_snapshot import seed_meetings
from tests.conftest import make_app

CRISIS_TEL = {"tel:988", "tel:+18006624357"}


@pytest.fixture(scope="module")
def template() -> Catalog:
    return i18n_catalog.extract()


@pytest.fixture(scope="module")
def spanish() -> Catalog:
    return i18n_catalog.read_catalog("es")


def soup(client: FlaskClient, url: str, status: int = 200, **kwargs) -> BeautifulSoup:
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.data[:300]
    return BeautifulSoup(response.data, "html.parser")


def text(page: BeautifulSoup, selector: str = "body") -> str:
    return page.select_one(selector).get_text(" ", strip=True)


def assert_spanish_frame(page: BeautifulSoup) -> None:
    """The page is marked Spanish and carries the crisis lines and the not-advice note."""
    assert page.html["lang"] == "es"
    crisis = page.select_one("aside.crisis")
    assert {a["href"] for a in crisis.select("a")} == CRISIS_TEL
    assert "Línea Nacional de Ayuda de SAMHSA" in crisis.get_text()
    assert "Línea 988 de Prevención del Suicidio y Crisis" in crisis.get_text()
    assert "No es asesoramiento médico ni legal" in text(page, "footer")


# The catalog


def test_every_message_has_a_spanish_translation_with_the_same_placeholders(
    template: Catalog, spanish: Catalog
) -> None:
    problems = i18n_catalog.problems(template, spanish)
    assert not problems, "\n".join(map(str, problems[:20]))


def test_catalog_check_finds_an_untranslated_a_fuzzy_and_a_broken_message() -> None:
    template = Catalog()
    for msgid in ("Find treatment", "Only %(n)s left", "Call"):
        template.add(msgid)
    template.add("Directions")
    catalog = Catalog(locale="es")
    catalog.add("Find treatment", "")
    catalog.add("Only %(n)s left", "Solo quedan %(count)s")
    catalog.add("Call", "Llamar", flags=("fuzzy",))
    found = {(p.msgid, p.reason) for p in i18n_catalog.problems(template, catalog)}
    assert found == {
        ("Find treatment", "not translated"),
        ("Only %(n)s left", "placeholders differ"),
        ("Call", "fuzzy"),
        ("Directions", "missing from the catalog"),
    }


def test_labels_kept_as_data_are_extracted_without_markers(template: Catalog) -> None:
    wanted = [g.label for g in GROUPS] + [c.label for c in CATEGORIES]
    wanted += [c.help for c in CATEGORIES if c.help]
    wanted += [t.title for t in TOPICS] + [t.summary for t in TOPICS]
    wanted += [link.label for t in TOPICS for link in t.searches]
    wanted += ["SAMHSA National Helpline", "Narcotics Anonymous", "Wheelchair access", "Tuesdays"]
    assert [m for m in wanted if m not in template] == []


def test_templates_and_python_messages_are_extracted(template: Catalog) -> None:
    for msgid in (
        "Find treatment and recovery help near you",  # a template _()
        "What kratom withdrawal commonly looks like",  # a {% trans %} block
        "The distance can be at most %(limit)s %(unit)s.",  # a domain error
        "There is no facility with id %(id)s.",  # a view's 404
    ):
        assert msgid in template, msgid
    plural = template.get(("%(num)d meeting", "%(num)d meetings"))
    assert plural is not None and "python-format" in plural.flags


def unmarked_messages() -> list[str]:
    """Find sentences for people passed to errors, notes or abort() without a marker."""
    marked = {"N_", "gettext", "_"}
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name):
                continue
            name = node.func.id
            if name in {"BadQueryError", "GeocoderUnavailableError", "Message"} and node.args:
                message = node.args[0]
            elif name == "abort" and len(node.args) > 1:
                message = node.args[1]
            else:
                continue
            plain = isinstance(message, ast.Constant | ast.JoinedStr | ast.BinOp)
            call = isinstance(message, ast.Call) and getattr(message.func, "id", "")
            if plain or (isinstance(message, ast.Call) and call not in marked):
                found.append(f"{path.relative_to(PACKAGE_DIR)}:{node.lineno} {name}")
    return found


def test_every_message_raised_or_aborted_with_is_marked_for_translation() -> None:
    assert unmarked_messages() == []


def test_translations_check_command_passes_on_the_shipped_catalog() -> None:
    result = make_app("sqlite://").test_cli_runner().invoke(cli, ["translations", "check"])
    assert result.exit_code == 0, result.output
    assert "es: " in result.output and " 0 problems" in result.output


def test_compiled_catalog_matches_the_po_file(spanish: Catalog) -> None:
    from babel.messages.mofile import read_mo

    path = i18n_catalog.mo_path("es")
    assert path.exists(), "run `make install` or `locator translations compile`"
    with path.open("rb") as handle:
        compiled = read_mo(handle)
    stale = [m.id for m in spanish if m.id and compiled.get(m.id) is None]
    assert stale == [], "the .mo is older than the .po: run `locator translations compile`"


# Pages in Spanish


def test_home_page_in_spanish_with_switch_back_to_english(client: FlaskClient) -> None:
    page = soup(client, "/?lang=es")
    assert_spanish_frame(page)
    assert text(page, "h1") == "Busque ayuda para el tratamiento y la recuperación cerca de usted"
    assert "23 centros de tratamiento en Virginia" in text(page, "section.coverage")
    labels = [label.get_text(strip=True) for label in page.select("#service label")]
    assert "Desintoxicación (abstinencia con supervisión médica)" in labels
    assert text(page, "#service legend") == "Tipo de atención (elija las que quiera)"
    assert "reuniones" in text(page, "#service .hint a")
    switch = {a.get_text(): a for a in page.select("nav.language-switch a")}
    assert set(switch) == {"English", "Español"}
    assert page.select_one("nav.language-switch")["aria-label"] == "Language / Idioma"
    assert page.select_one("#near")["placeholder"] == "22903 o Richmond, VA"
    assert switch["English"]["href"] == "/?lang=en" and switch["English"]["lang"] == "en"
    assert switch["Español"].get("aria-current") == "true"


def test_search_results_in_spanish_show_spanish_badges_and_headings(client: FlaskClient) -> None:
    page = soup(client, "/search?near=22903&lang=es")
    assert_spanish_frame(page)
    assert text(page, "h1").startswith("Tratamiento cerca de")
    assert "centros a menos de 25 mi" in text(page, "#results-heading")
    badges = {li.get_text() for li in page.select("ul.badges li")}
    assert badges & {
        "Tratamiento ambulatorio",
        "Tratamiento residencial",
        "Desintoxicación (abstinencia con supervisión médica)",
    }
    assert not badges & {"Outpatient", "Residential"}
    first = page.select_one("li.result")
    assert "de distancia" in text(first, ".distance")
    assert "Cómo llegar" in text(first, ".actions")
    assert "Visto por última vez:" in text(first, ".provenance")


def test_search_from_browser_coordinates_says_your_location_in_spanish(
    client: FlaskClient,
) -> None:
    page = soup(client, "/search?lat=38.03&lon=-78.48&lang=es")
    assert text(page, "h1") == "Tratamiento cerca de su ubicación"
    assert text(soup(client, "/search?lat=38.03&lon=-78.48&lang=en"), "h1") == (
        "Treatment near your location"
    )


def test_street_address_note_in_spanish(client: FlaskClient) -> None:
    page = soup(client, "/search?near=100+Main+St,+Charlottesville,+VA&lang=es")
    assert text(page, "p.note").startswith("Esta instalación no busca direcciones")


def test_language_switch_keeps_the_search_and_replaces_only_the_language(
    client: FlaskClient,
) -> None:
    page = soup(client, "/search?near=22903&radius=10&service=detox&service=outpatient&lang=es")
    english = page.select_one("nav.language-switch a[lang=en]")["href"]
    assert english == "/search?near=22903&radius=10&service=detox&service=outpatient&lang=en"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    args=st.lists(
        st.tuples(st.sampled_from(["lang", "near", "service", "a b", "é"]), st.text(max_size=3)),
        max_size=6,
    ),
    path=st.sampled_from(["/search", "/laws/VA", "/%5Cevil.example"]),
)
def test_language_links_are_this_url_with_only_the_language_replaced(
    app: Flask, args: list[tuple[str, str]], path: str
) -> None:
    """Each link is what ``urlencode`` makes of the arguments with ``lang`` set in them."""
    with app.test_request_context(f"{path}?{urlencode(args)}"):
        expected = []
        for code in ("en", "es"):
            changed = request.args.copy()
            changed["lang"] = code
            query = urlencode(list(changed.items(multi=True)))
            expected.append((code, LANGUAGE_NAMES[code], f"{same_site_path(request.path)}?{query}"))
        assert language_links() == expected


def test_facility_page_in_spanish(client: FlaskClient, app: Flask) -> None:
    with Session(app.extensions["engine"]) as session:
        facility_id = session.scalars(select(Facility.id).order_by(Facility.id)).first()
    page = soup(client, f"/facilities/{facility_id}?lang=es")
    assert_spanish_frame(page)
    headings = [h.get_text(strip=True) for h in page.select("h2")]
    assert "Servicios" in headings and "De dónde viene esta información" in headings
    assert "Registrado como:" in text(page, "article")
    assert "Cómo llegar" in text(page, "ul.contact")
    groups = [h.get_text(strip=True) for h in page.select("section.service-group h3")]
    assert "Tipo de atención" in groups and "Type of Care" not in groups
    services = {li.get_text() for li in page.select("section.service-group li")}
    assert "Tratamiento ambulatorio" in services and "Outpatient" not in services


@pytest.fixture
def meeting_client(db_url: str) -> Iterator[FlaskClient]:
    app = make_app(db_url)
    seed_meetings(app.extensions["engine"])
    yield app.test_client()
    app.extensions["engine"].dispose()


def test_meeting_pages_in_spanish(meeting_client: FlaskClient) -> None:
    page = soup(meeting_client, "/meetings/?lang=es")
    assert_spanish_frame(page)
    assert text(page, "h1") == "Buscar una reunión de apoyo mutuo"
    legends = [legend.get_text(strip=True) for legend in page.select("legend")]
    assert "Confraternidad" in legends and "Momento del día" in legends
    assert "Narcóticos Anónimos" in text(page, "form")
    assert "Acceso para sillas de ruedas" in text(page, "form")

    results = soup(meeting_client, "/meetings/?near=Geneva,+NY&radius=25&lang=es")
    first = results.select_one("li.result.meeting")
    assert "Los lunes 7:00 pm" in text(first, ".when")
    assert "de distancia" in text(first, ".kind")
    formats = {
        li.get_text() for r in results.select("li.result.meeting") for li in r.select(".badges li")
    }
    assert "Cerrada" in formats or "Abierta" in formats  # the Meeting Guide spec's own Spanish
    assert text(results, "[role=status]").startswith("4 reuniones a menos de 25")


@pytest.mark.parametrize(
    ("slug", "heading", "body"),
    [
        (
            "detox",
            "Desintoxicación con supervisión médica",
            "Cuándo es más importante la supervisión médica",
        ),
        ("kratom-withdrawal", "Abstinencia de kratom", "Busque ayuda médica ahora"),
    ],
)
def test_guide_pages_in_spanish(client: FlaskClient, slug: str, heading: str, body: str) -> None:
    page = soup(client, f"/guide/{slug}?lang=es")
    assert_spanish_frame(page)
    assert text(page, "h1").startswith(heading)
    assert body in text(page, "article")
    assert "Hable con un profesional de la salud." in text(page, ".talk-to-clinician")
    assert text(page, "#search-heading") == "Empezar una búsqueda"


def test_questionnaire_in_spanish(client: FlaskClient) -> None:
    page = soup(client, "/guide/which-help?lang=es")
    assert_spanish_frame(page)
    assert text(page, "h1") == "¿Qué tipo de ayuda?"
    assert "Sus respuestas se quedan en este dispositivo." in text(page, ".privacy")
    options = {li["data-key"]: li.get_text() for li in page.select("#which-help-options li")}
    assert options["detox"].startswith("Desintoxicación con supervisión médica, o una estancia")
    assert options["medications"] == "Medicamentos para el trastorno por consumo de opioides"


# Choosing the language


def test_the_cookie_keeps_the_chosen_language(client: FlaskClient) -> None:
    first = client.get("/?lang=es")
    assert "lang=es" in first.headers["Set-Cookie"]
    page = soup(client, "/guide/")
    assert page.html["lang"] == "es" and text(page, "h1") == "Tipos de ayuda"
    soup(client, "/?lang=en")
    assert soup(client, "/guide/").html["lang"] == "en"


def test_pages_say_they_vary_by_language_and_the_cookie_lasts(client: FlaskClient) -> None:
    response = client.get("/guide/?lang=es")
    assert {"Cookie", "Accept-Language"} <= set(response.vary)
    cookie = response.headers["Set-Cookie"]
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie
    assert "Set-Cookie" not in client.get("/guide/?lang=es").headers  # already chosen


def test_accept_language_spanish_picks_spanish(client: FlaskClient) -> None:
    page = soup(client, "/", headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"})
    assert page.html["lang"] == "es"
    assert text(page, "h1").startswith("Busque ayuda")


def test_english_is_the_default_and_unknown_languages_fall_back_to_it(
    client: FlaskClient,
) -> None:
    assert soup(client, "/").html["lang"] == "en"
    page = soup(client, "/?lang=xx", headers={"Accept-Language": "de"})
    assert page.html["lang"] == "en"
    assert text(page, "h1") == "Find treatment and recovery help near you"


def test_a_site_configured_for_english_only_shows_no_switch(db_url: str) -> None:
    app = make_app(db_url, LANGUAGES=["en"])
    page = soup(app.test_client(), "/?lang=es")
    assert page.html["lang"] == "en" and page.select_one("nav.language-switch") is None
    app.extensions["engine"].dispose()


# Errors in Spanish


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("/search?near=22903&radius=900", "La distancia puede ser como máximo de 500 millas."),
        (
            "/search?near=22903&radius=abc",
            "El valor de «distancia» debe ser un número, por ejemplo 25.",
        ),
        (
            "/search?near=22903&radius=0&unit=km",
            "La distancia debe ser mayor que cero, por ejemplo 25 km.",
        ),
        (
            "/search?near=22903&service=yoga",
            "“yoga” no es un servicio por el que se pueda filtrar.",
        ),
        ("/search?near=Narnia", "No encontramos el lugar “Narnia”."),
        ("/search?lat=38", "Indique tanto una latitud (lat) como una longitud (lon)."),
        ("/search?lang=es&near=", "Escriba un lugar"),
    ],
)
def test_bad_search_in_spanish_gives_the_spanish_sentence(
    client: FlaskClient, url: str, sentence: str
) -> None:
    page = soup(client, url + ("" if "lang=" in url else "&lang=es"), status=400)
    assert sentence in text(page, "[role=alert]")
    assert page.html["lang"] == "es"


def test_place_suggestions_are_joined_with_a_spanish_or(client: FlaskClient) -> None:
    page = soup(client, "/search?near=Springfeld&lang=es", status=400)
    alert = text(page, "[role=alert]")
    assert alert.startswith("No encontramos el lugar “Springfeld”. ¿Quiso decir")
    assert "” o “" in alert and " or " not in alert
    links = [a.get_text() for a in page.select("ul.suggestions a")]
    assert "Springfield, IL" in links


def test_a_one_word_city_says_in_spanish_which_place_it_chose(client: FlaskClient) -> None:
    page = soup(client, "/search?near=Springfield&lang=es")
    note = text(page, ".place-note")
    assert note.startswith("Se muestra Springfield, IL, el mayor de varios lugares llamados")
    assert "Springfield, MO" in [a.get_text() for a in page.select(".place-note a")]


def test_bad_meeting_search_in_spanish(meeting_client: FlaskClient) -> None:
    page = soup(meeting_client, "/meetings/?near=14456&day=someday&lang=es", status=400)
    assert "“someday” no es un día de la semana" in text(page, "[role=alert]")


def test_not_found_page_in_spanish(client: FlaskClient) -> None:
    page = soup(client, "/no-such-page?lang=es", status=404)
    assert_spanish_frame(page)
    assert text(page, "h1") == "No se encontró"
    assert text(page, "[role=alert]") == "No encontramos esa página."
    guide = soup(client, "/guide/nothing?lang=es", status=404)
    assert "No hay ninguna página de la guía con ese nombre." in text(guide, "[role=alert]")


def test_api_errors_are_english_by_default_and_spanish_when_asked(client: FlaskClient) -> None:
    english = client.get("/api/v1/facilities?near=22903&radius=900").get_json()["error"]
    assert english["message"] == "The distance can be at most 500 miles."
    asked = client.get("/api/v1/facilities?near=22903&radius=900&lang=es").get_json()["error"]
    assert asked["message"] == "La distancia puede ser como máximo de 500 millas."
    assert asked["field"] == "radius"
    by_header = client.get(
        "/api/v1/facilities/424242", headers={"Accept-Language": "es"}
    ).get_json()["error"]
    assert by_header["message"] == "No hay ningún centro con el id 424242."


def test_domain_errors_keep_the_english_sentence_as_their_text() -> None:
    from locator.errors import BadQueryError, Term, UnknownPlaceError

    error = BadQueryError(
        "The distance can be at most %(limit)s %(unit)s.", field="radius", limit=5, unit=Term("km")
    )
    assert str(error) == "The distance can be at most 5 km."
    assert error.params == {"limit": 5, "unit": "km"} and error.field == "radius"
    unknown = UnknownPlaceError("Springfeld", ["Springfield, IL", "Springfield, MO"])
    assert str(unknown) == (
        "We couldn't find the place “Springfeld”. "
        "Did you mean “Springfield, IL” or “Springfield, MO”?"
    )


@pytest.mark.parametrize("autoescape", [True, False])
def test_templates_translate_as_jinjas_own_newstyle_gettext_would(
    app: Flask, autoescape: bool
) -> None:
    """The one-call ``_``/``gettext``/``ngettext`` of the templates give Jinja's results."""
    from jinja2 import Environment

    from locator.web import i18n

    source = (
        '{{ _("100%% free") }}|{{ _("Treatment near %(place)s", place="<b>&") }}|'
        '{{ gettext("Search") }}|{{ ngettext("%(num)d facility", "%(num)d facilities", 2) }}|'
        '{{ ngettext("%(num)d facility within %(radius)s %(unit)s", '
        '"%(num)d facilities within %(radius)s %(unit)s", 1, radius="<5>", unit="mi") }}'
    )
    with app.test_request_context("/?lang=es"):
        translations = i18n.request_translations()
        jinja = Environment(extensions=["jinja2.ext.i18n"], autoescape=autoescape)
        jinja.install_gettext_callables(  # type: ignore[attr-defined]
            translations.ugettext, translations.ungettext, newstyle=True
        )
        ours = app.jinja_env.overlay(autoescape=autoescape).from_string(source).render()
        assert ours == jinja.from_string(source).render()
    assert "Tratamiento cerca de" in ours and ("&lt;b&gt;&amp;" in ours) == autoescape
