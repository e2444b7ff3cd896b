"""An import killed mid-write loses nothing, and searches keep answering while an import writes.

The kill test runs the real `locator import samhsa --file BIG` as a separate process on a
database on disk (the test's SQLite file, or the PostgreSQL test database), waits until it
holds the write lock on the facility table, and kills it with SIGKILL: no handler, no
rollback code, only the database's own atomicity stands between the store and a half-import.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, col

from locator.models import ImportRun
from scrapers import samhsa
from scrapers.base import run_import
from scrapers.facility_writer import FacilityWriter
from scrapers.run_log import INTERRUPTED
from scrapers.samhsa import parse_pages
from tests.conftest import make_app
from tests.utils.samhsa import many_rows, v2_pages, write_pages
from tests.utils.store import all_rows

LOCATOR = Path(sys.executable).parent / "locator"
BIG = 6000  # rows: a few seconds of writing, long enough to be killed in the middle


def _samhsa_runs(engine: Engine) -> list[ImportRun]:
    with Session(engine) as session:
        runs = list(
            session.scalars(
                select(ImportRun)
                .where(col(ImportRun.source) == samhsa.SOURCE)
                .order_by(col(ImportRun.id))
            )
        )
        for run in runs:
            session.expunge(run)
        return runs


def _import_rows(engine: Engine, rows: list[dict[str, object]]) -> str:
    pages = v2_pages(rows, 1000)
    writer = FacilityWriter(source=samhsa.SOURCE, source_note="Test rows for one test.")
    report = run_import(
        engine,
        source=samhsa.SOURCE,
        items=parse_pages(pages[n] for n in sorted(pages)),
        writer=writer,
        seen_on=date(2026, 11, 20),
    )
    return report.status


def _writer_holds_the_lock(engine: Engine, db_url: str) -> bool:
    """Tell whether another connection is inside a write transaction on the store."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            held = connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                    "WHERE c.relname = 'facility' AND l.mode = 'RowExclusiveLock' "
                    "AND l.pid <> pg_backend_pid()"
                )
            ).scalar()
        return bool(held)
    probe = sqlite3.connect(make_url(db_url).database or "", timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc) or "busy" in str(exc), exc
        return True
    finally:
        probe.close()


def _wait_for(condition: object, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError(f"timed out waiting until {what}")


def test_an_import_killed_mid_write_keeps_the_data_and_the_next_run_succeeds(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    assert _import_rows(engine, many_rows(50)) == "ok"
    before = all_rows(engine)
    big = tmp_path / "big-samhsa-answer.json"
    write_pages(big, many_rows(BIG))
    env = {**os.environ, "LOCATOR_DATABASE_URL": db_url}
    process = subprocess.Popen(
        [str(LOCATOR), "import", "samhsa", "--file", str(big)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        _wait_for(
            lambda: any(r.status == "running" for r in _samhsa_runs(engine)),
            60,
            "the import started",
        )
        _wait_for(lambda: _writer_holds_the_lock(engine, db_url), 60, "the import wrote")
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        _stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == -signal.SIGKILL, stderr.decode()[-2000:]

    assert all_rows(engine) == before, "the killed import left rows behind"
    assert [r.status for r in _samhsa_runs(engine)] == ["ok", "running"]

    assert _import_rows(engine, many_rows(60)) == "ok"
    runs = _samhsa_runs(engine)
    assert [r.status for r in runs] == ["ok", "failed", "ok"]
    assert runs[1].error == INTERRUPTED and runs[1].finished_at is not None
    assert runs[2].inserted == 10 and runs[2].unchanged == 50


def test_sqlite_connections_use_wal_and_wait_for_a_writer(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite pragmas")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        timeout = connection.exec_driver_sql("PRAGMA busy_timeout").scalar()
        assert timeout is not None and timeout >= 5000


@pytest.fixture
def unlimited_client(db_url: str) -> Iterator[FlaskClient]:
    """A client whose searches are not rate-limited: this test asks as fast as it can."""
    app = make_app(db_url, RATELIMIT_ENABLED=False)
    yield app.test_client()
    app.extensions["engine"].dispose()


def test_searches_keep_answering_while_an_import_writes(
    engine: Engine, unlimited_client: FlaskClient
) -> None:
    client = unlimited_client
    url = "/api/v1/facilities?lat=38.06&lon=-78.53&radius=10&per_page=5"
    page = "/search?lat=38.06&lon=-78.53&radius=10"
    old_total = client.get(url).get_json()["total"]
    rows = many_rows(2000)
    outcome: list[str] = []
    importer = threading.Thread(target=lambda: outcome.append(_import_rows(engine, rows)))
    answers: list[tuple[int, int | None]] = []
    importer.start()
    try:
        while importer.is_alive() or len(answers) < 3:
            response = client.get(url)
            body = response.get_json(silent=True) or {}
            answers.append((response.status_code, body.get("total")))
            assert client.get(page).status_code == 200
    finally:
        importer.join(timeout=120)
    assert outcome == ["ok"]
    new_total = client.get(url).get_json()["total"]
    assert new_total > old_total
    during = answers[:-2]  # the last ones may come after the commit
    assert during, "no search ran while the import wrote"
    assert {status for status, _ in answers} == {200}, answers
    # One transaction: a search sees all of the import or none of it, never a part.
    assert {total for _, total in answers} <= {old_total, new_total}, answers
