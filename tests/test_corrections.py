"""Corrections after a call: accepted in /admin/reports, kept through re-imports of the source.

The source is a trimmed copy of SAMHSA's real 2022 substance-use directory (tests/fixtures/
README.md), imported with the real command; the corrections go through the real forms.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import select
from sqlmodel import Session, col

from locator.cli import cli
from locator.models import Facility, FacilityCorrection, ProblemReport
from tests.conftest import FIXTURES, admin_client_for, make_app, post_form
from tests.utils.facilities import codes_not_copied

SA = FIXTURES / "feeds" / "samhsa" / "National_Directory_SA_Facilities_2022_trimmed.xlsx"
CLOSED_STREET = "2770 East Van Buren Street"  # Community Bridges, Phoenix
PHONE_STREET = "66 East State Road"  # Mt Grove Counseling


@pytest.fixture
def cli_app(empty_db_url: str) -> Iterator[Flask]:
    app = make_app(empty_db_url)
    yield app
    app.extensions["engine"].dispose()


def _import(runner: FlaskCliRunner, path: Path) -> str:
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(path)])
    assert result.exit_code == 0, result.output
    return result.output


def _edited(tmp_path: Path, edits: dict[tuple[str, int], str]) -> Path:
    """A copy of the directory with some cells changed: (street, column) -> value."""
    book = load_workbook(SA)
    sheet = book["Facilities List"]
    for row in range(2, sheet.max_row + 1):
        for (street, column), value in edits.items():
            if sheet.cell(row, 3).value == street:
                sheet.cell(row, column).value = value
    target = tmp_path / "edited" / "National_Directory_SA_Facilities_2022.xlsx"
    target.parent.mkdir(exist_ok=True)
    book.save(target)
    return target


def _facility(app: Flask, street: str) -> Facility:
    with Session(app.extensions["engine"]) as session:
        return session.scalars(select(Facility).where(col(Facility.street1) == street)).one()


def _report(app: Flask, facility: Facility, problem: str) -> int:
    with Session(app.extensions["engine"]) as session:
        report = ProblemReport(
            kind="facility",
            listing_id=facility.id or 0,
            listing_source=facility.source,
            listing_key=facility.source_key,
            listing_name=facility.name,
            problem=problem,
            text="Called today",
            sender="test",
        )
        session.add(report)
        session.commit()
        assert report.id is not None
        return report.id


def _accept(admin: FlaskClient, report_id: int, field: str, value: str = "") -> None:
    answer = post_form(
        admin,
        f"/admin/reports/{report_id}/correct",
        {"field": field, "value": value, "called_on": datetime.now(UTC).date().isoformat()},
        form_url="/admin/reports",
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_an_accepted_closed_correction_survives_reimports(cli_app: Flask, tmp_path: Path) -> None:
    runner = cli_app.test_cli_runner()
    _import(runner, SA)
    site = _facility(cli_app, CLOSED_STREET)
    admin = admin_client_for(cli_app)
    _accept(admin, _report(cli_app, site, "closed"), "closed")
    assert not _facility(cli_app, CLOSED_STREET).active

    again = _import(runner, SA)  # the same file: nothing changes, the correction stays
    assert "inserted 0, updated 0" in again or "unchanged" in again
    assert not _facility(cli_app, CLOSED_STREET).active
    # A re-import that rewrites the site (the source changed its phone) rebuilds it from the
    # sources' union and the correction layer: still closed, with its own source line.
    changed = _import(runner, _edited(tmp_path, {(CLOSED_STREET, 8): "602-273-0000"}))
    assert "updated 1" in changed
    rebuilt = _facility(cli_app, CLOSED_STREET)
    assert not rebuilt.active and rebuilt.phone == "602-273-0000"
    assert "Closed (corrected after a call on" in rebuilt.source_note
    page = cli_app.test_client().get(f"/facilities/{rebuilt.id}").text
    assert "Marked closed after a call on" in page
    found = cli_app.test_client().get("/api/v1/facilities?near=85008&radius=5").get_json()
    assert rebuilt.id not in [r["id"] for r in found["results"]]
    with Session(cli_app.extensions["engine"]) as session:
        statuses = session.scalars(select(col(FacilityCorrection.status))).all()
    assert statuses == ["active"]


def test_a_phone_correction_holds_until_the_source_changes_the_phone(
    cli_app: Flask, tmp_path: Path
) -> None:
    runner = cli_app.test_cli_runner()
    _import(runner, SA)
    site = _facility(cli_app, PHONE_STREET)
    admin = admin_client_for(cli_app)
    _accept(admin, _report(cli_app, site, "phone"), "phone", "801-404-1111")
    assert _facility(cli_app, PHONE_STREET).phone == "801-404-1111"
    # Another field of the site changes: rebuilt, the correction still applies.
    _import(runner, _edited(tmp_path, {(PHONE_STREET, 4): "Suite 3"}))
    kept = _facility(cli_app, PHONE_STREET)
    assert (kept.phone, kept.street2) == ("801-404-1111", "Suite 3")
    assert "Phone corrected after a call on" in kept.source_note
    # The source itself now gives another phone: the source wins and an admin reviews.
    _import(
        runner, _edited(tmp_path, {(PHONE_STREET, 4): "Suite 3", (PHONE_STREET, 8): "801-404-2222"})
    )
    assert _facility(cli_app, PHONE_STREET).phone == "801-404-2222"
    queue = BeautifulSoup(admin.get("/admin/reports").text, "html.parser")
    review = queue.select("ul.corrections-review li")
    assert len(review) == 1 and "801-404-1111" in review[0].text
    # The admin keeps the correction: it overrides the source's new number from now on.
    with Session(cli_app.extensions["engine"]) as session:
        correction_id = session.scalars(select(col(FacilityCorrection.id))).one()
    kept_again = post_form(
        admin,
        f"/admin/corrections/{correction_id}/status",
        {"status": "active"},
        form_url="/admin/reports",
    )
    assert kept_again.status_code == 302
    assert _facility(cli_app, PHONE_STREET).phone == "801-404-1111"


def test_a_bad_correction_is_refused_in_words_and_changes_nothing(cli_app: Flask) -> None:
    _import(cli_app.test_cli_runner(), SA)
    site = _facility(cli_app, PHONE_STREET)
    admin = admin_client_for(cli_app)
    report_id = _report(cli_app, site, "phone")
    for field, value, words in (
        ("phone", "call them", "area code"),
        ("service", "NOPE", "code of a service"),
        ("everything", "", "Choose what to correct"),
    ):
        answer = post_form(
            admin,
            f"/admin/reports/{report_id}/correct",
            {"field": field, "value": value, "called_on": "2026-11-30"},
            form_url="/admin/reports",
        )
        assert answer.status_code == 400 and words in answer.get_data(as_text=True)
    assert _facility(cli_app, PHONE_STREET).phone == site.phone


def test_a_service_correction_leaves_every_listing_of_the_site_without_that_service(
    cli_app: Flask, tmp_path: Path
) -> None:
    """The search API lists a result's codes from the facility's own row (migration 0016):
    a correction and the rebuild of the next import keep that copy the same as the rows."""
    runner = cli_app.test_cli_runner()
    _import(runner, SA)
    site = _facility(cli_app, PHONE_STREET)
    dropped = site.service_codes.split(",")[0]
    admin = admin_client_for(cli_app)
    _accept(admin, _report(cli_app, site, "service"), "service", dropped)

    def listed() -> tuple[list[str], list[str]]:
        client = cli_app.test_client()
        found = client.get(
            f"/api/v1/facilities?lat={site.latitude}&lon={site.longitude}&radius=1"
        ).get_json()
        [result] = [r for r in found["results"] if r["id"] == site.id]
        one = client.get(f"/api/v1/facilities/{site.id}").get_json()["facility"]
        return result["services"], one["services"]

    for step in ("accepted", "after a re-import that changes the site"):
        in_search, on_record = listed()
        assert dropped not in in_search and in_search == on_record, step
        assert in_search == sorted(in_search) and len(in_search) > 5, step
        assert codes_not_copied(cli_app.extensions["engine"]) == [], step
        _import(runner, _edited(tmp_path, {(PHONE_STREET, 4): "Suite 3"}))
