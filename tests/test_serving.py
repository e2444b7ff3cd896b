"""Production serving: `locator serve --prod` runs gunicorn workers; /healthz tells its state."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import Engine
from sqlmodel import Session

from locator.config import load_config
from locator.models import ImportRun, utcnow
from locator.serving import gunicorn_argv, production_app
from tests.conftest import make_app
from tests.utils.processes import answers, free_port, start_locator, stop, wait_until


def test_serve_prod_runs_two_gunicorn_workers_and_stops_cleanly(
    db_url: str, tmp_path: Path
) -> None:
    port = free_port()
    log = tmp_path / "gunicorn.log"
    server = start_locator(
        ["serve", "--prod", "--bind", f"127.0.0.1:{port}", "--workers", "2"], db_url, log
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: answers(base + "/healthz"), 60, f"gunicorn on {base}")
        home = requests.get(base + "/", timeout=10)
        health = requests.get(base + "/healthz", timeout=10)
        assert home.status_code == 200
        assert "988" in home.text
        assert health.status_code == 200
        assert health.json()["database"]["reachable"] is True
    finally:
        code = stop(server)
    output = log.read_text()
    assert code == 0, output
    assert output.count("Booting worker with pid") >= 2, output  # a slow boot may be retried
    assert "Shutting down: Master" in output


def test_a_worker_keeps_what_it_built_at_start_out_of_the_collector(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCATOR_DATABASE_URL", db_url)
    gc.unfreeze()
    app = production_app()
    try:
        # The app and the place gazetteer (tens of thousands of ZIP places) are frozen: a full
        # collection during a request no longer walks them.
        assert gc.get_freeze_count() > 50_000
        assert app.test_client().get("/api/v1/services").status_code == 200
    finally:
        gc.unfreeze()
        app.extensions["engine"].dispose()


def test_a_worker_loads_the_pdf_and_excel_libraries_only_when_it_writes_one(db_url: str) -> None:
    # fpdf2 (with numpy) and openpyxl were a third of each worker's private memory (~28 of
    # 95 MB): a worker that only searches never imports them.
    script = """
import sys
from locator.serving import production_app
heavy = ("fpdf", "numpy", "openpyxl")
client = production_app().test_client()
assert client.get("/api/v1/facilities?near=22903").status_code == 200
print(sorted(m for m in heavy if m in sys.modules))
assert client.get("/export/facilities.xlsx?near=22903").status_code == 200
assert client.get("/export/facilities.pdf?near=22903").status_code == 200
print(sorted(m for m in heavy if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "LOCATOR_DATABASE_URL": db_url, "LOCATOR_RATELIMIT_ENABLED": "false"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.splitlines() == ["[]", "['fpdf', 'numpy', 'openpyxl']"]


def test_serve_prod_refuses_a_database_that_is_not_set_up(tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    server = start_locator(["serve", "--prod"], f"sqlite:///{tmp_path / 'new.db'}", log)
    assert server.wait(timeout=60) == 1
    assert "run `locator init`" in log.read_text()


def test_gunicorn_command_follows_the_serve_settings() -> None:
    config = load_config(
        {"serve_workers": 3, "serve_threads": 8, "serve_bind": "0.0.0.0:9000"},
        environ={},
        config_file=None,
    )
    argv = gunicorn_argv(config)
    assert argv[1:3] == ["-m", "gunicorn"]
    assert argv[argv.index("--workers") + 1] == "3"
    assert argv[argv.index("--threads") + 1] == "8"
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9000"
    assert argv[-1] == "locator.serving:production_app()"
    assert gunicorn_argv(config, bind="127.0.0.1:1", workers=2)[4:8] == [
        "127.0.0.1:1",
        "--workers",
        "2",
        "--worker-class",
    ]


def add_run(engine: Engine, source: str, hours_ago: float, status: str = "ok") -> None:
    finished = utcnow() - timedelta(hours=hours_ago)
    with Session(engine) as session:
        session.add(
            ImportRun(
                source=source,
                started_at=finished - timedelta(minutes=5),
                finished_at=finished,
                status=status,
            )
        )
        session.commit()


def sources_of(app: Flask) -> tuple[int, dict]:
    response = app.test_client().get("/healthz")
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    return response.status_code, {**body, "by_source": {s["source"]: s for s in body["sources"]}}


def test_health_is_degraded_while_a_scheduled_source_never_succeeded(app: Flask) -> None:
    status, body = sources_of(app)
    assert status == 200
    assert body["status"] == "degraded"
    assert body["database"]["reachable"] is True
    assert body["database"]["latency_ms"] >= 0
    samhsa = body["by_source"]["samhsa"]
    assert samhsa == {
        "source": "samhsa",
        "scheduled": True,
        "last_success": None,
        "age_hours": None,
        "max_age_hours": 336.0,  # twice the weekly schedule
        "stale": True,
    }
    assert body["by_source"]["smart"]["scheduled"] is False  # smart_enabled is off
    assert body["by_source"]["smart"]["stale"] is False
    assert "samhsa-snapshot" not in body["by_source"]  # embedded data is not a refresh


def test_health_is_ok_when_every_scheduled_source_is_fresh(engine: Engine, db_url: str) -> None:
    for source in ("samhsa", "bmlt", "kratom-law"):
        add_run(engine, source, hours_ago=1)
    status, body = sources_of(make_app(db_url))
    assert status == 200
    assert body["status"] == "ok"
    samhsa = body["by_source"]["samhsa"]
    assert samhsa["stale"] is False
    assert 0.9 < samhsa["age_hours"] < 1.1
    assert samhsa["last_success"].endswith("+00:00")
    assert body["by_source"]["bmlt"]["max_age_hours"] == 48.0  # daily, twice


def test_a_source_older_than_twice_its_schedule_is_stale(engine: Engine, db_url: str) -> None:
    add_run(engine, "samhsa", hours_ago=20 * 24)
    add_run(engine, "samhsa", hours_ago=2, status="failed")  # a failure is not a success
    add_run(engine, "bmlt", hours_ago=1)
    add_run(engine, "kratom-law", hours_ago=1)
    status, body = sources_of(make_app(db_url))
    assert status == 200
    assert body["status"] == "degraded"
    assert body["by_source"]["samhsa"]["stale"] is True
    assert 479 < body["by_source"]["samhsa"]["age_hours"] < 481
    relaxed = make_app(db_url, HEALTH_STALE_FACTOR=3.0)  # 21 days allowed
    assert sources_of(relaxed)[1]["by_source"]["samhsa"]["stale"] is False


def test_health_answers_503_when_the_database_is_unreachable() -> None:
    app = make_app("postgresql+psycopg://127.0.0.1:1/nothing")
    status, body = sources_of(app)
    assert status == 503
    assert body == {
        "status": "down",
        "database": {"reachable": False, "latency_ms": None},
        "sources": [],
        "by_source": {},
    }
