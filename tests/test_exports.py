"""Exports as a coordinator opens them: csv, openpyxl, a PDF reader, HSDS schemas, frictionless."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from pathlib import Path

import jsonschema
import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine

from locator.exports.hsds import NAMESPACE
from locator.exports.writers import safe_cell
from tests.conftest import make_app
from tests.utils.facilities import add_sites, site

SCHEMAS = Path(__file__).parent / "fixtures" / "hsds-3.0" / "compiled"
SEARCH = "near=22903&radius=25"


def api_ids(client: FlaskClient, args: str) -> list[int]:
    body = client.get(f"/api/v1/facilities?{args}&per_page=100").get_json()
    assert body["total"] <= 100
    return [r["id"] for r in body["results"]]


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_export_holds_the_same_facilities_in_the_same_order_as_the_search(
    client: FlaskClient,
) -> None:
    response = client.get(f"/export/facilities.csv?{SEARCH}")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    rows = read_csv(response.data)
    assert [int(r["id"]) for r in rows] == api_ids(client, SEARCH)
    first = rows[0]
    assert first["source"] == "samhsa" and first["last_seen"] == "2019-05-30"
    assert first["service_codes"] and first["service_names"] and first["source_key"]
    distances = [float(r["distance"]) for r in rows]
    assert distances == sorted(distances) and all(d <= 25 for d in distances)


def test_export_keeps_the_service_filter_of_the_search(client: FlaskClient) -> None:
    args = "near=22903&radius=50&service=telehealth"
    rows = read_csv(client.get(f"/api/v1/facilities/export?format=csv&{args}").data)
    assert [int(r["id"]) for r in rows] == api_ids(client, args)
    assert rows and all("TELE" in r["service_codes"].split(", ") for r in rows)


def test_excel_export_opens_with_every_row(client: FlaskClient) -> None:
    response = client.get(f"/export/facilities.xlsx?{SEARCH}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
    table = list(sheet.iter_rows(values_only=True))
    header, body = table[0], table[1:]
    ids = [row[header.index("id")] for row in body]
    assert ids == api_ids(client, SEARCH)
    assert {row[header.index("last_seen")] for row in body} == {"2019-05-30"}


def test_formula_looking_text_is_escaped_in_csv_and_excel(
    empty_db_url: str, empty_engine: Engine
) -> None:
    attack = '=HYPERLINK("http://x","click")'
    add_sites(empty_engine, [site("A", 38.03, -78.48, street=attack, phone="+1 434 555 0100")])
    app = make_app(empty_db_url)
    client = app.test_client()
    rows = read_csv(client.get(f"/export/facilities.csv?{SEARCH}").data)
    assert rows[0]["street1"] == "'" + attack
    assert rows[0]["phone"] == "'+1 434 555 0100"
    assert rows[0]["name"] == "Test site A"
    book = load_workbook(io.BytesIO(client.get(f"/export/facilities.xlsx?{SEARCH}").data))
    sheet = book.active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("street1") + 1)
    assert cell.data_type == "s" and cell.value == "'" + attack
    app.extensions["engine"].dispose()


@pytest.mark.parametrize("text", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\rx"])
def test_every_formula_start_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text
    assert safe_cell(-78.5) == -78.5  # numbers stay numbers


def test_pdf_referral_sheet_lists_facilities_crisis_lines_and_sources(client: FlaskClient) -> None:
    response = client.get("/export/facilities.pdf?near=22903&radius=5")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "988" in text and "1-800-662-4357" in text
    assert "Last seen: 2019-05-30" in text and "Distance:" in text
    body = client.get("/api/v1/facilities?near=22903&radius=5&per_page=100").get_json()
    for result in body["results"]:
        assert result["name"].split()[0] in text


def hsds_validator(name: str) -> jsonschema.protocols.Validator:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft202012Validator)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def test_hsds_json_services_validate_against_the_official_schema(client: FlaskClient) -> None:
    response = client.get(f"/api/v1/facilities/export?format=hsds-json&{SEARCH}")
    services = json.loads(response.data)
    validator = hsds_validator("service.json")
    for service in services:
        validator.validate(service)
    csv_rows = read_csv(client.get(f"/export/facilities.csv?{SEARCH}").data)
    assert [s["name"] for s in services] == [r["name"] for r in csv_rows]
    first, row = services[0], csv_rows[0]
    expected = uuid.uuid5(NAMESPACE, f"service:samhsa:{row['source_key']}")
    assert first["id"] == str(expected)
    location = first["service_at_locations"][0]["location"]
    assert location["external_identifier"] == row["source_key"]
    assert location["addresses"][0]["postal_code"] == row["zip"]
    codes = set(first["attributes"][0]["value"].split())
    assert codes == set(row["service_codes"].split(", "))


def test_hsds_ids_are_the_same_on_every_export(client: FlaskClient) -> None:
    url = f"/export/facilities.hsds.json?{SEARCH}"
    assert json.loads(client.get(url).data) == json.loads(client.get(url).data)


def test_hsds_data_package_is_valid_for_frictionless(client: FlaskClient, tmp_path: Path) -> None:
    from frictionless import Package

    response = client.get(f"/export/facilities.hsds.zip?{SEARCH}")
    assert response.status_code == 200
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        archive.extractall(tmp_path)
    report = Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])[:5]
    services = read_csv((tmp_path / "services.csv").read_bytes())
    assert len(services) == len(api_ids(client, SEARCH))


def test_an_export_over_the_cap_is_refused_with_a_sentence(db_url: str) -> None:
    app = make_app(db_url, EXPORT_MAX_ROWS=3)
    client = app.test_client()
    page = client.get(f"/export/facilities.csv?{SEARCH}")
    assert page.status_code == 413 and b"an export can hold at most 3" in page.data
    api = client.get(f"/api/v1/facilities/export?format=xlsx&{SEARCH}")
    assert api.status_code == 413
    assert "smaller distance" in api.get_json()["error"]["message"]
    app.extensions["engine"].dispose()


def test_a_printable_sheet_has_its_own_smaller_cap(db_url: str) -> None:
    app = make_app(db_url, EXPORT_MAX_PDF_ROWS=2)
    client = app.test_client()
    pdf = client.get(f"/export/facilities.pdf?{SEARCH}")
    assert pdf.status_code == 413 and b"Export CSV or Excel instead" in pdf.data
    assert client.get(f"/export/facilities.csv?{SEARCH}").status_code == 200
    app.extensions["engine"].dispose()


def test_bad_export_input_is_a_400_sentence(client: FlaskClient) -> None:
    assert client.get(f"/export/facilities.doc?{SEARCH}").status_code == 400
    api = client.get(f"/api/v1/facilities/export?{SEARCH}")
    assert api.status_code == 400
    assert api.get_json()["error"]["message"].startswith("Choose an export format")
    bad_place = client.get("/api/v1/facilities/export?format=csv&near=Nowhereville")
    assert bad_place.status_code == 400


def test_search_page_links_to_exports_of_the_same_search(client: FlaskClient) -> None:
    from bs4 import BeautifulSoup

    html = client.get("/search?near=22903&radius=25&service=outpatient").get_data(as_text=True)
    links = [a["href"] for a in BeautifulSoup(html, "html.parser").select(".export-links a")]
    assert len(links) == 5
    assert all("near=22903" in link and "service=outpatient" in link for link in links)
    assert client.get(links[0]).status_code == 200


def test_hsds_service_listing_is_paginated_hsds(client: FlaskClient) -> None:
    body = client.get("/api/v1/hsds/services?per_page=10&page=2").get_json()
    assert body["total_items"] == 23 and body["total_pages"] == 3
    assert body["page_number"] == 2 and body["size"] == 10
    assert not body["first_page"] and not body["last_page"] and not body["empty"]
    validator = hsds_validator("service_list.json")
    for item in body["contents"]:
        validator.validate(item)
    args = "near=22903&radius=25&per_page=3&page=2"
    near = client.get(f"/api/v1/hsds/services?{args}").get_json()
    search = client.get(f"/api/v1/facilities?{args}").get_json()
    assert near["total_items"] == search["total"] and near["page_number"] == 2
    assert [s["name"] for s in near["contents"]] == [r["name"] for r in search["results"]]
