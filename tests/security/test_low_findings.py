"""Probes of the low findings: url_for's own arguments in a query string, the language switch
on a crafted 404 path, the map's origin tooltip and formula text in any spreadsheet cell."""

from __future__ import annotations

import csv
import io
import re

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient

from locator.exports.writers import ExportRow, csv_chunks, is_formula, row_cells
from locator.meetings.types import FINDERS
from locator.paths import STATIC_DIR

RESERVED = ["suffix", "_anchor", "_method", "_scheme", "endpoint", "_external"]


@pytest.mark.parametrize("name", RESERVED)
@pytest.mark.parametrize(
    "url", ["/search?near=22903", "/meetings/?near=22903", "/api/v1/facilities?near=22903"]
)
def test_url_for_arguments_in_a_query_string_change_no_link(
    client: FlaskClient, url: str, name: str
) -> None:
    value = "https" if name == "_scheme" else "1" if name == "_external" else "x"
    answer = client.get(f"{url}&{name}={value}&per_page=1", headers={"Host": "evil.example"})
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    text = answer.get_data(as_text=True)
    links = re.findall(r'href="([^"]*)"', text) + re.findall(r'"(?:next|prev)": ?"([^"]*)"', text)
    finders = {f.url for f in FINDERS}  # the fellowships' own sites, not built by url_for
    on_site = [
        u
        for u in links
        if any(w in u for w in ("search", "export", "meetings", "facilities")) and u not in finders
    ]
    assert on_site
    assert not [u for u in on_site if u.startswith(("http", "//")) or "#" in u], on_site


@pytest.mark.parametrize("path", ["/%5Cevil.example", "//evil.example", "/%2F%2Fevil.example"])
def test_the_language_switch_never_points_to_another_site(client: FlaskClient, path: str) -> None:
    answer = client.get(path)
    assert answer.status_code in (404, 308)
    page = BeautifulSoup(client.get(path, follow_redirects=True).text, "html.parser")
    for link in page.select("a[hreflang]"):
        href = str(link["href"])
        assert href.startswith("/") and not href.startswith("//"), href
        assert "\\" not in href, href


def test_the_map_writes_the_origin_label_as_text_never_as_html() -> None:
    script = (STATIC_DIR / "js" / "results-map.js").read_text()
    for call in re.findall(r"\.bind(?:Tooltip|Popup)\(([^)]*)\)", script):
        assert "dataset" not in call and '"' not in call, call
    assert "textContent = box.dataset.originLabel" in script


DANGEROUS = [
    '=HYPERLINK("http://evil.example")',
    " =1+1",
    "\u00a0@SUM(A1)",
    "\"=cmd|' /C calc'!A0\"",
    "Line one\n=1+1",
    "Call us\r\n-2+3",
    "\uff1d1+1",
    "\t=1",
]
HARMLESS = ["Region Ten CSB", "a = b", "1-800-662-4357", "", "Suite 2 - rear"]


@pytest.mark.parametrize("text", DANGEROUS)
def test_any_cell_a_spreadsheet_could_run_is_escaped(text: str) -> None:
    assert is_formula(text)
    row = ExportRow(position=1, kind="facility", id=1, name=text, note=text, street2=text)
    cells = [c for c in row_cells(row) if isinstance(c, str) and c.lstrip("'") == text]
    assert cells and all(c.startswith("'") for c in cells)
    written = b"".join(csv_chunks([row])).decode("utf-8-sig")
    record = next(r for r in csv.DictReader(io.StringIO(written)))
    assert record["name"] == "'" + text and record["note"] == "'" + text


@pytest.mark.parametrize("text", HARMLESS)
def test_plain_text_is_left_alone(text: str) -> None:
    assert not is_formula(text)


def test_a_405_names_the_methods_allowed(app: Flask) -> None:
    answer = app.test_client().post("/search?near=22903")
    assert answer.status_code == 405
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD"}
    assert "not accepted here" in answer.get_data(as_text=True)


@pytest.mark.parametrize(
    "url",
    [
        "/search?near=22903&page=²",
        "/api/v1/facilities?near=22903&page=²",
        "/meetings/?near=22903&day=²",
        "/api/v1/hsds/services?page=²",
    ],
)
def test_a_superscript_digit_anywhere_is_never_a_500(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code in (200, 400)
