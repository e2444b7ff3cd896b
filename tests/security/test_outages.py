"""Probes: a corrupted SQLite file, PostgreSQL down, `serve --prod` on a bad database.

The safe answers: /healthz reads the main tables and says 503 (a load balancer takes the
node out), pages and the API answer 503 with a sentence and Retry-After, and `serve --prod`
stops with one sentence instead of a traceback.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from flask import Flask

from tests.conftest import PG_URL, make_app
from tests.utils.processes import free_port, start_locator

PAGES = ["/", "/search?near=22903", "/api/v1/facilities?near=22903", "/laws"]


def corrupt(path: Path) -> None:
    """Overwrite every page after the header, as a disk fault or a bad copy would."""
    size = path.stat().st_size
    with path.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\xde\xad\xbe\xef" * ((size - 100) // 4))


@pytest.fixture
def sqlite_copy(db_url: str, tmp_path: Path) -> Path:
    if PG_URL:
        pytest.skip("a SQLite file test")
    source = Path(db_url.removeprefix("sqlite:///"))
    target = tmp_path / "copy.db"
    shutil.copy(source, target)
    return target


def assert_outage_answers(app: Flask) -> None:
    client = app.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["status"] == "down"
    for url in PAGES:
        answer = client.get(url)
        assert answer.status_code == 503, url
        assert int(answer.headers["Retry-After"]) >= 1, url
        text = answer.get_data(as_text=True)
        assert "database is not answering" in text and "988" in text, url
        assert "Traceback" not in text
    assert client.get("/api/v1/facilities?near=22903").json["error"]["status"] == 503


def test_a_corrupted_sqlite_file_is_503_on_healthz_pages_and_api(sqlite_copy: Path) -> None:
    app = make_app(f"sqlite:///{sqlite_copy}")
    assert app.test_client().get("/healthz").status_code == 200, "intact first"
    app.extensions["engine"].dispose()
    corrupt(sqlite_copy)
    app = make_app(f"sqlite:///{sqlite_copy}")
    assert_outage_answers(app)
    app.extensions["engine"].dispose()


def test_postgresql_down_is_503_with_a_sentence_and_retry_after() -> None:
    app = make_app(f"postgresql+psycopg://127.0.0.1:{free_port()}/nobody")
    assert_outage_answers(app)
    app.extensions["engine"].dispose()


def test_healthz_is_200_on_a_sound_database(app: Flask) -> None:
    health = app.test_client().get("/healthz")
    assert health.status_code == 200 and health.json["database"]["reachable"] is True


def bad_databases(tmp_path: Path) -> dict[str, str]:
    truncated = tmp_path / "truncated.db"
    with sqlite3.connect(truncated) as conn:
        conn.execute("CREATE TABLE t (x)")
        conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 100)
    truncated.write_bytes(truncated.read_bytes()[:3000])
    foreign = tmp_path / "foreign.db"
    foreign.write_bytes(b"%PDF-1.4 not a database at all\n" * 200)
    return {
        "dead PostgreSQL": f"postgresql+psycopg://127.0.0.1:{free_port()}/nobody",
        "truncated SQLite": f"sqlite:///{truncated}",
        "foreign file": f"sqlite:///{foreign}",
    }


def test_serve_prod_on_a_bad_database_stops_with_one_sentence(tmp_path: Path) -> None:
    for what, url in bad_databases(tmp_path).items():
        log = tmp_path / f"{what}.log"
        server = start_locator(["serve", "--prod"], url, log)
        assert server.wait(timeout=60) == 1, what
        output = log.read_text().strip()
        assert "Traceback" not in output, (what, output)
        assert len(output.splitlines()) == 1, (what, output)
        assert "database" in output.lower(), (what, output)
