"""Referral coordinators: sign in, confirm a listing by phone, and see it everywhere it shows.

The facility is a real row of the 2019 Charlottesville sample (tests/conftest.py); the call is
recorded through the real form with its CSRF token, and every place a facility shows (its
page, the API, the CSV/XLSX/PDF exports, the search filter) is read as a person would.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.cli import cli
from locator.models import AuditLog, Facility, PhoneConfirmation, ProblemReport
from tests.conftest import ADMIN_PASSWORD, admin_client_for, form_token, log_in, make_app
from tests.test_exports import hsds_validator
from tests.utils.facilities import add_sites, site
from tests.utils.meetings import add_meetings, meeting, meetings

COORDINATOR = "casemanager"
SEARCH = "near=22903&radius=25"


def coordinator_client(app: Flask, name: str = COORDINATOR) -> FlaskClient:
    """Create a coordinator with the real command and sign in through the real form."""
    made = app.test_cli_runner().invoke(
        cli,
        ["admin", "create-user", name, "--role", "coordinator"],
        input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n",
    )
    assert made.exit_code == 0, made.output
    assert f"Created the coordinator {name}" in made.output
    client = app.test_client()
    signed_in = log_in(client, name, ADMIN_PASSWORD)
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/admin/mine")
    return client


def first_result(client: FlaskClient) -> int:
    body = client.get(f"/api/v1/facilities?{SEARCH}").get_json()
    return int(body["results"][1]["id"])  # not the nearest: the filter must find it anyway


def record_call(client: FlaskClient, facility_id: int, **fields: str | list[str]) -> None:
    token = form_token(client, f"/facilities/{facility_id}")
    data: dict[str, str | list[str]] = {
        "csrf_token": token,
        "called_on": datetime.now(UTC).date().isoformat(),
        "outcome": "accepting",
        "note": "Spoke to intake",
        **fields,
    }
    answer = client.post(f"/admin/facilities/{facility_id}/calls", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_a_coordinator_reaches_only_their_pages(app: Flask) -> None:
    client = coordinator_client(app)
    assert client.get("/admin/mine").status_code == 200
    for page in ("/admin/imports", "/admin/reports", "/admin/audit", "/admin/laws"):
        assert client.get(page).status_code in (403, 404), page
    assert app.test_client().get("/admin/mine").status_code == 302  # strangers sign in first


def test_a_recorded_call_shows_on_the_page_api_exports_and_confirmed_search(app: Flask) -> None:
    client = coordinator_client(app)
    facility_id = first_result(client)
    codes = client.get(f"/api/v1/facilities/{facility_id}").get_json()["facility"]["services"]
    record_call(client, facility_id, confirmed=[codes[0]])
    today = datetime.now(UTC).date().isoformat()
    public = app.test_client()

    page = BeautifulSoup(public.get(f"/facilities/{facility_id}").text, "html.parser")
    line = page.select_one("#last-confirmation")
    assert line is not None
    assert f"Confirmed by phone on {today} (today): accepting new patients" in line.text
    assert COORDINATOR not in page.text and "Spoke to intake" not in page.text
    assert page.select_one("form.call-form") is None  # the form is for signed-in accounts

    api = public.get(f"/api/v1/facilities?{SEARCH}").get_json()["results"]
    mine = next(r for r in api if r["id"] == facility_id)
    assert mine["last_confirmation"] == {
        "date": today,
        "outcome": "accepting",
        "wait_days": None,
        "services_confirmed": [codes[0]],
    }
    assert all(r["last_confirmation"] is None for r in api if r["id"] != facility_id)
    one = public.get(f"/api/v1/facilities/{facility_id}").get_json()["facility"]
    assert one["last_confirmation"]["date"] == today

    confirmed = public.get(f"/api/v1/facilities?{SEARCH}&confirmed=90").get_json()
    assert [r["id"] for r in confirmed["results"]] == [facility_id]
    results = BeautifulSoup(public.get(f"/search?{SEARCH}&confirmed=90").text, "html.parser")
    items = results.select("li.result")
    assert [li["id"] for li in items] == [f"facility-{facility_id}"]
    assert "accepting new patients" in items[0].select_one("p.confirmed").text

    rows = list(csv.DictReader(io.StringIO(public.get(f"/export/facilities.csv?{SEARCH}").text)))
    row = next(r for r in rows if r["id"] == str(facility_id))
    assert (row["confirmed_on"], row["confirmation"]) == (today, "accepting new patients")
    assert all(r["confirmed_on"] == "" for r in rows if r["id"] != str(facility_id))

    sheet = load_workbook(io.BytesIO(public.get(f"/export/facilities.xlsx?{SEARCH}").data)).active
    header = [c.value for c in sheet[1]]
    cells = next(
        r for r in sheet.iter_rows(min_row=2) if r[header.index("id")].value == facility_id
    )
    assert cells[header.index("confirmed_on")].value.date().isoformat() == today
    assert cells[header.index("confirmation")].value == "accepting new patients"

    pdf = PdfReader(io.BytesIO(public.get(f"/export/facilities.pdf?{SEARCH}").data))
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert f"Confirmed by phone on {today} (today): accepting new patients" in text

    audit = _audit(app, "phone_confirmation")
    assert [(a.username, a.target) for a in audit] == [(COORDINATOR, f"facility {facility_id}")]


def test_a_wait_list_call_reads_with_its_wait_and_age(app: Flask) -> None:
    client = coordinator_client(app)
    facility_id = first_result(client)
    called = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    record_call(client, facility_id, outcome="wait_list", wait_days="14", called_on=called)
    page = app.test_client().get(f"/facilities/{facility_id}").text
    assert f"Confirmed by phone on {called} (3 days ago): wait list, about 14 days" in page


def test_a_bad_call_form_gets_a_sentence_and_stores_nothing(app: Flask) -> None:
    client = coordinator_client(app)
    facility_id = first_result(client)
    token = form_token(client, f"/facilities/{facility_id}")
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    for fields, words in (
        ({"called_on": "last week", "outcome": "accepting"}, "Enter the date of the call"),
        ({"called_on": tomorrow, "outcome": "accepting"}, "not in the future"),
        ({"called_on": tomorrow[:8] + "01", "outcome": "maybe"}, "Choose what you heard"),
        (
            {"called_on": tomorrow[:8] + "01", "outcome": "accepting", "confirmed": "NOPE"},
            "Confirm only services this facility lists",
        ),
    ):
        answer = client.post(
            f"/admin/facilities/{facility_id}/calls", data={"csrf_token": token, **fields}
        )
        assert answer.status_code == 400 and words in answer.get_data(as_text=True), fields
    no_token = client.post(
        f"/admin/facilities/{facility_id}/calls",
        data={"called_on": tomorrow[:8] + "01", "outcome": "accepting"},
    )
    assert no_token.status_code == 400
    with Session(app.extensions["engine"]) as session:
        assert session.scalars(select(PhoneConfirmation)).all() == []


def test_a_closed_call_goes_to_the_review_queue(app: Flask) -> None:
    client = coordinator_client(app)
    facility_id = first_result(client)
    record_call(client, facility_id, outcome="closed", note="Building empty")
    with Session(app.extensions["engine"]) as session:
        report = session.scalars(select(ProblemReport)).one()
    assert (report.listing_id, report.problem, report.status) == (facility_id, "closed", "new")
    admin = admin_client_for(app)
    queue = BeautifulSoup(admin.get("/admin/reports").text, "html.parser")
    assert queue.select_one(f"form[action='/admin/reports/{report.id}/correct']") is not None


def test_coordinator_exports_count_per_account_not_per_address(db_url: str) -> None:
    app = make_app(
        db_url,
        RATELIMIT_EXPORTS="1 per minute",
        RATELIMIT_EXPORTS_COORDINATOR="3 per minute",
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
    )
    office = coordinator_client(app)
    neighbour = app.test_client()
    assert neighbour.get(f"/export/facilities.csv?{SEARCH}").status_code == 200
    refused = neighbour.get(f"/export/facilities.csv?{SEARCH}")
    assert refused.status_code == 429
    wait = int(refused.headers["Retry-After"])
    said = re.search(r"You can try again in (\d+) seconds\.", refused.get_data(as_text=True))
    assert said is not None and abs(int(said.group(1)) - wait) <= 1  # the header's wait
    api = neighbour.get(f"/api/v1/facilities/export?format=csv&{SEARCH}")
    assert api.status_code == 429 and api.get_json()["error"]["retry_after"] >= 1
    # The coordinator shares the neighbour's address but has the account's own budget.
    codes = [office.get(f"/export/facilities.csv?{SEARCH}").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    mine = BeautifulSoup(office.get("/admin/mine").text, "html.parser")
    assert len(mine.select("ul.my-exports li")) == 3
    app.extensions["engine"].dispose()


def test_spanish_pdf_and_xlsx_open_well(client: FlaskClient) -> None:
    sheet_data = client.get(f"/export/facilities.xlsx?{SEARCH}").data
    book = load_workbook(io.BytesIO(sheet_data))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
    assert all(cell.font.bold for cell in sheet[1])
    zip_column = [c.value for c in sheet[1]].index("zip")
    zip_cell = sheet.cell(2, zip_column + 1)
    assert zip_cell.data_type == "s" and zip_cell.value.isdigit()  # text, leading zeros kept
    assert sheet.column_dimensions["D"].width == 40  # the name column is wide enough to read

    spanish = client.get(
        f"/export/facilities.pdf?{SEARCH}&service=detox", headers={"Accept-Language": "es"}
    )
    pdf = PdfReader(io.BytesIO(spanish.data))
    text = " ".join(p.extract_text() for p in pdf.pages)
    pages = len(pdf.pages)
    assert f"Página 1 de {pages}" in text
    assert "Búsqueda: a menos de 25 millas de Charlottesville, VA 22903" in text
    assert "/search?" in text and "service=detox" in text
    english = PdfReader(io.BytesIO(client.get(f"/export/facilities.pdf?{SEARCH}").data))
    first = english.pages[0].extract_text()
    assert f"Page 1 of {len(english.pages)}" in first and "Search: within 25 miles" in first
    assert "listings.." not in first and ".. Last seen" not in first


def test_hsds_splits_the_phone_extension(client: FlaskClient, app: Flask) -> None:
    with Session(app.extensions["engine"]) as session:
        facility = session.scalars(select(Facility).where(col(Facility.phone) != "")).first()
        assert facility is not None
        facility.phone = "434-971-8454 x1"
        session.add(facility)
        session.commit()
        facility_id = facility.id
    body = client.get(f"/api/v1/referrals/export?format=hsds-json&l=f{facility_id}").get_json()
    phone = next(p for p in body[0]["phones"] if p["description"] == "Main")
    assert (phone["number"], phone["extension"]) == ("434-971-8454", 1)


def _audit(app: Flask, action: str) -> list[AuditLog]:
    with Session(app.extensions["engine"]) as session:
        return list(session.scalars(select(AuditLog).where(col(AuditLog.action) == action)))


def test_at_equal_distance_the_recently_confirmed_listing_comes_first(
    empty_db_url: str, empty_engine: Engine
) -> None:
    # Two programs in one building: the same distance from anywhere.
    add_sites(
        empty_engine,
        [site("Alpha Clinic", 38.03, -78.48), site("Beta Clinic", 38.03, -78.48)],
    )
    app = make_app(empty_db_url)
    client = app.test_client()
    near = "/api/v1/facilities?lat=38.0&lon=-78.5&radius=25"
    before = [r["name"] for r in client.get(near).get_json()["results"]]
    assert before == ["Test site Alpha Clinic", "Test site Beta Clinic"]
    with Session(empty_engine) as session:
        beta = session.scalars(
            select(Facility).where(col(Facility.name) == "Test site Beta Clinic")
        ).one()
        old = session.scalars(
            select(Facility).where(col(Facility.name) == "Test site Alpha Clinic")
        ).one()
        today = datetime.now(UTC).date()
        for facility, day in ((beta, today), (old, today - timedelta(days=200))):
            assert facility.id is not None
            session.add(
                PhoneConfirmation(
                    facility_id=facility.id, called_on=day, outcome="accepting", username="x"
                )
            )
        session.commit()
    after = [r["name"] for r in client.get(near).get_json()["results"]]
    assert after == [
        "Test site Beta Clinic",
        "Test site Alpha Clinic",
    ]  # Alpha's call is older than 90 days
    rows = csv.DictReader(io.StringIO(client.get("/export/facilities.csv?lat=38.0&lon=-78.5").text))
    assert [r["name"] for r in rows] == ["Test site Beta Clinic", "Test site Alpha Clinic"]
    app.extensions["engine"].dispose()


def test_hsds_carries_the_confirmation_and_still_validates(app: Flask) -> None:
    client = coordinator_client(app)
    facility_id = first_result(client)
    record_call(client, facility_id)
    body = client.get(f"/api/v1/referrals/export?format=hsds-json&l=f{facility_id}").get_json()
    today = datetime.now(UTC).date().isoformat()
    assert body[0]["assured_date"] == today
    assert f"Confirmed by phone on {today}: accepting new patients" in body[0]["description"]
    assert "assurer_email" not in body[0] and COORDINATOR not in json.dumps(body)
    validator = hsds_validator("service.json")
    assert list(validator.iter_errors(body[0])) == []


def test_a_referral_sheet_names_each_meetings_fellowship_and_the_websites(
    client: FlaskClient, engine: Engine
) -> None:
    add_meetings(engine, meeting("sheet"))
    meeting_id = meetings(engine)["sheet"].id
    with Session(engine) as session:
        with_site = session.scalars(select(Facility).where(col(Facility.website) != "")).first()
        assert with_site is not None
    answer = client.get(f"/referrals/export.pdf?l=f{with_site.id},m{meeting_id}")
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(answer.data)).pages)
    assert f"Website: {with_site.website}" in text
    assert "Narcotics Anonymous" in text
    assert "A referral list of 2 entries." in text and "/referrals?l=f" in text


def test_a_spanish_workbook_has_a_spanish_header_and_confirmation(app: Flask) -> None:
    client = coordinator_client(app)
    facility_id = first_result(client)
    record_call(client, facility_id, outcome="wait_list", wait_days="3")
    answer = app.test_client().get(
        f"/export/facilities.xlsx?{SEARCH}", headers={"Accept-Language": "es"}
    )
    sheet = load_workbook(io.BytesIO(answer.data)).active
    header = [c.value for c in sheet[1]]
    assert "Nombre" in header and "Código postal" in header and sheet.freeze_panes == "A2"
    cells = next(
        r for r in sheet.iter_rows(min_row=2) if r[header.index("id")].value == facility_id
    )
    assert cells[header.index("Confirmación por teléfono")].value == "lista de espera, unos 3 días"
    english = load_workbook(
        io.BytesIO(app.test_client().get(f"/export/facilities.xlsx?{SEARCH}").data)
    )
    assert [c.value for c in english.active[1]][:4] == ["position", "kind", "id", "name"]


@pytest.mark.parametrize("value", ["abc", "0", "99999", "1.5"])
def test_a_bad_confirmed_filter_is_a_400_sentence(client: FlaskClient, value: str) -> None:
    answer = client.get(f"/api/v1/facilities?{SEARCH}&confirmed={value}")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["field"] == "confirmed"
    page = client.get(f"/search?{SEARCH}&confirmed={value}")
    assert page.status_code == 400 and "days" in page.get_data(as_text=True)


def test_a_coordinators_referral_export_is_remembered_without_its_notes(app: Flask) -> None:
    office = coordinator_client(app)
    facility_id = first_result(office)
    note = "Client prefers evenings"
    sheet = office.get(f"/referrals/export.csv?l=f{facility_id}&n.f{facility_id}={note}")
    assert sheet.status_code == 200 and note in sheet.get_data(as_text=True)
    with Session(app.extensions["engine"]) as session:
        kept = session.exec(select(AuditLog).where(col(AuditLog.action) == "export")).all()
    details = [row[0].detail for row in kept]
    assert details and all(f"l=f{facility_id}" in d for d in details)
    assert not any("evenings" in d or "n.f" in d for d in details)  # notes stay in the browser
