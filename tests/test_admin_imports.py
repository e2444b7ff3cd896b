"""The admin-facing list of import runs (read-only)."""

from __future__ import annotations

from datetime import date

from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from sqlalchemy import Engine

from scrapers import samhsa
from scrapers.base import Rejected, run_import
from scrapers.facility_writer import FacilityWriter
from tests.utils.facilities import site


def _runs(engine: Engine) -> int:
    writer = FacilityWriter(source="samhsa", source_note="test rows")
    good = site("A", 38.0, -78.4)
    report = run_import(
        engine,
        source="samhsa",
        items=[good, Rejected("row 2 (Test site B)", "no facility name")],
        writer=writer,
        seen_on=date(2026, 11, 1),
    )
    assert report.run_id is not None
    return report.run_id


def test_the_import_runs_page_lists_runs_with_counts(
    engine: Engine, admin_client: FlaskClient
) -> None:
    run_id = _runs(engine)
    page = BeautifulSoup(admin_client.get("/admin/imports").text, "html.parser")
    assert page.h1 is not None and page.h1.text == "Import runs"
    rows = page.select("table.runs tbody tr")
    newest = [cell.text.strip() for cell in rows[0].find_all("td")]
    assert newest[:2] == [str(run_id), samhsa.SOURCE] and newest[3] == "partial"
    assert newest[4:10] == ["2", "1", "0", "0", "0", "1"]
    assert "samhsa" in page.select_one("ul.last-ok").text  # last successful import per source


def test_one_run_shows_its_reject_reasons(engine: Engine, admin_client: FlaskClient) -> None:
    run_id = _runs(engine)
    text = admin_client.get(f"/admin/imports/{run_id}").text
    assert "row 2 (Test site B): no facility name" in text
    assert admin_client.get("/admin/imports/999999").status_code == 404
    assert admin_client.get("/admin/imports?page=0").status_code == 400
    filtered = admin_client.get("/admin/imports?source=nothing-like-this").text
    assert "No import runs yet." in filtered
