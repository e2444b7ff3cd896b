"""Probes of the expensive exports: PDF drawing bounded per worker, HSDS bounded by size."""

from __future__ import annotations

import json
import statistics

import orjson
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import make_app

SEARCH = "near=22903&radius=100"


def test_a_pdf_beyond_the_workers_drawing_slots_is_503_with_retry_after(app: Flask) -> None:
    client = app.test_client()
    assert client.get(f"/export/facilities.pdf?{SEARCH}").status_code == 200  # makes the gate
    gate = app.extensions["pdf_gate"]
    assert gate.acquire(blocking=False), "one slot by default"
    try:
        page = client.get(f"/export/facilities.pdf?{SEARCH}")
        api = client.get(f"/api/v1/facilities/export?format=pdf&{SEARCH}")
        csv = client.get(f"/export/facilities.csv?{SEARCH}")
    finally:
        gate.release()
    for answer in (page, api):
        assert answer.status_code == 503
        assert 1 <= int(answer.headers["Retry-After"]) <= 60
    assert "Another printable sheet is being prepared" in page.get_data(as_text=True)
    assert "988" in page.get_data(as_text=True)
    assert "CSV or Excel" in api.json["error"]["message"]
    assert csv.status_code == 200, "other formats are not held back"
    again = client.get(f"/export/facilities.pdf?{SEARCH}")
    assert again.status_code == 200 and again.data.startswith(b"%PDF"), "the slot is free again"


def test_export_pdf_concurrency_sets_the_number_of_drawing_slots(db_url: str) -> None:
    app = make_app(db_url, EXPORT_PDF_CONCURRENCY=2)
    client = app.test_client()
    assert client.get(f"/export/facilities.pdf?{SEARCH}").status_code == 200
    gate = app.extensions["pdf_gate"]
    assert gate.acquire(blocking=False) and gate.acquire(blocking=False)
    assert not gate.acquire(blocking=False), "export_pdf_concurrency slots, no more"
    gate.release()
    gate.release()
    app.extensions["engine"].dispose()


def test_hsds_json_stays_under_5_kb_per_facility(client: FlaskClient) -> None:
    answer = client.get(f"/export/facilities.hsds.json?{SEARCH}")
    services = json.loads(answer.data)
    assert len(services) >= 20
    sizes = [len(orjson.dumps(s)) for s in services]
    assert statistics.median(sizes) <= 5000, statistics.median(sizes)
    codes = services[0]["attributes"][0]["value"].split()
    assert len(codes) > 10 and all(c.isupper() or c.isalnum() for c in codes)


def test_hsds_json_over_its_byte_cap_is_refused_before_any_byte(db_url: str) -> None:
    app = make_app(db_url, EXPORT_MAX_HSDS_BYTES=20_000)
    client = app.test_client()
    page = client.get(f"/export/facilities.hsds.json?{SEARCH}")
    assert page.status_code == 413
    assert "HSDS export would be larger than 20 kilobytes" in page.get_data(as_text=True)
    api = client.get(f"/api/v1/facilities/export?format=hsds-json&{SEARCH}")
    assert api.status_code == 413 and "smaller distance" in api.json["error"]["message"]
    small = client.get("/export/facilities.hsds.json?near=22903&radius=2")
    assert small.status_code == 200 and json.loads(small.data)
    app.extensions["engine"].dispose()
