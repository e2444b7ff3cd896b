"""Fixtures: a real, migrated database per test (SQLite file, or PostgreSQL when asked).

Set LOCATOR_TEST_DATABASE_URL=postgresql+psycopg://127.0.0.1:5432/test to run the suite on
PostgreSQL; `make test` does both passes. On PostgreSQL the schema is rebuilt once per run
and every table is emptied before each test.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from hypothesis import settings
from sqlalchemy import Connection, Engine, event, text
from sqlmodel import SQLModel

from locator import create_app
from locator.db import make_engine, migrate
from scrapers import snapshot

# Property tests: modest example counts in CI (the whole suite stays well under 20 minutes);
# the same examples every run (derandomized), HYPOTHESIS_PROFILE=thorough for a longer, random
# hunt. No deadline: a test database is slow at times.
settings.register_profile("ci", max_examples=50, deadline=None, derandomize=True)
settings.register_profile("thorough", max_examples=1000, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


class ClosingClient(FlaskClient):
    """Flask's test client, reading each answer to its end and closing it as a WSGI server
    does. Exports stream under ``stream_with_context``: one only checked for its status kept
    its request context pushed until the collector closed it during a later test, which then
    lost its own context ("Popped wrong request context"; a login answered 400, a law check
    read another app's settings). Whether that bit depended on when the collector ran.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


Flask.test_client_class = ClosingClient  # every app a test builds, from any fixture


PG_URL = os.environ.get("LOCATOR_TEST_DATABASE_URL", "")
FIXTURES = Path(__file__).parent / "fixtures"


def pytest_report_header() -> str:
    return f"database: {'PostgreSQL ' + PG_URL if PG_URL else 'SQLite (temporary files)'}"


@pytest.fixture(autouse=True)
def _isolated_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Keep a developer's config.toml and LOCATOR_* variables out of the tests."""
    for key in list(os.environ):
        if key.startswith("LOCATOR_") and key != "LOCATOR_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    empty = tmp_path_factory.getbasetemp() / "empty-config.toml"
    empty.touch()
    monkeypatch.setenv("LOCATOR_CONFIG", str(empty))
    # CLI imports run in the test process: they must not lower its priority for every test
    # after them (tests/test_cli.py checks the setting on its own).
    monkeypatch.setenv("LOCATOR_IMPORT_NICENESS", "0")


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    """Close every connection a test's engines opened (apps built in tests, CLI commands).

    An engine dropped without dispose() leaves its pooled connections to the garbage
    collector; psycopg then warns, and the warning lands on whichever test runs next.
    """
    engines: set[Engine] = set()

    def remember(conn: Connection) -> None:
        engines.add(conn.engine)

    event.listen(Engine, "engine_connect", remember)
    try:
        yield
    finally:
        event.remove(Engine, "engine_connect", remember)
        for engine in engines:
            engine.dispose()


def _pg_reset(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    migrate(engine)


def _pg_truncate(engine: Engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
    with engine.begin() as conn:
        # A streamed response a test never closed keeps its request's transaction open, and
        # TRUNCATE would wait for it forever: end such leftovers of earlier tests first.
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND state LIKE 'idle in transaction%'"
            )
        )
        # A connection a previous test left inside a transaction would make TRUNCATE wait
        # for ever; fail this test with a lock timeout instead of hanging the run.
        conn.execute(text("SET LOCAL lock_timeout = '60s'"))
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


SAMPLE_SNAPSHOT = FIXTURES / "snapshots" / "findtreatment_2019-05-30_charlottesville.json"


def seed_sample(engine: Engine, **options: bool) -> list[Any]:
    """Seed the codebooks, laws and the 2019 Charlottesville sample (23 sites), not the
    national data: most tests speak of that small, well-known town."""
    return snapshot.seed(engine, snapshots=[SAMPLE_SNAPSHOT], **options)


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Build the migrated (and the migrated + seeded) database once per run."""
    if PG_URL:
        engine = make_engine(PG_URL)
        _pg_reset(engine)
        engine.dispose()
        return {}
    base = tmp_path_factory.mktemp("templates")
    paths = {"empty": base / "empty.db", "seeded": base / "seeded.db"}
    engine = make_engine(f"sqlite:///{paths['empty']}")
    migrate(engine)
    engine.dispose()
    shutil.copy(paths["empty"], paths["seeded"])
    engine = make_engine(f"sqlite:///{paths['seeded']}")
    seed_sample(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return {k: str(v) for k, v in paths.items()}


def _database(kind: str, templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        engine = make_engine(PG_URL)
        _pg_truncate(engine)
        if kind == "seeded":
            seed_sample(engine)
        engine.dispose()
        yield PG_URL
        return
    target = tmp_path / "locator.db"
    shutil.copy(templates[kind], target)
    yield f"sqlite:///{target}"


@pytest.fixture
def empty_db_url(_templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A migrated database with no rows."""
    yield from _database("empty", _templates, tmp_path)


@pytest.fixture
def db_url(_templates: dict[str, str], tmp_path: Path) -> Iterator[str]:
    """A migrated database holding the embedded data, as after the first `make run`."""
    yield from _database("seeded", _templates, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def empty_engine(empty_db_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_db_url)
    yield engine
    engine.dispose()


def make_app(db_url: str, **overrides: object) -> Flask:
    """Build an app on ``db_url`` with setting overrides (datasette's make_app_client idea)."""
    app = create_app({"DATABASE_URL": db_url, "TESTING": True, **overrides})
    return app


@pytest.fixture
def app(db_url: str) -> Iterator[Flask]:
    app = make_app(db_url)
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


ADMIN_NAME = "reviewer"
ADMIN_PASSWORD = "correct horse battery staple"


def form_token(client: FlaskClient, url: str) -> str:
    """Load a form page and return its CSRF token, as a browser would send it back."""
    from bs4 import BeautifulSoup

    page = BeautifulSoup(client.get(url).text, "html.parser")
    found = page.select_one("input[name=csrf_token]")
    assert found is not None, f"{url} has no CSRF token field"
    return str(found["value"])


def create_admin(app: Flask, name: str = ADMIN_NAME, password: str = ADMIN_PASSWORD) -> None:
    from sqlmodel import Session

    from locator.admin.accounts import create_user

    with Session(app.extensions["engine"]) as session:
        create_user(session=session, username=name, password=password)


def log_in(client: FlaskClient, name: str = ADMIN_NAME, password: str = ADMIN_PASSWORD):
    """Sign in through the real form (CSRF token included); return the response."""
    token = form_token(client, "/admin/login")
    return client.post(
        "/admin/login",
        data={"csrf_token": token, "username": name, "password": password},
    )


@pytest.fixture
def admin_client(app: Flask) -> FlaskClient:
    """A client signed in as an admin through the sign-in form."""
    return admin_client_for(app)


def post_form(client: FlaskClient, url: str, data: dict[str, str], form_url: str = "", **kw):
    """POST a form the way a browser does: with the CSRF token its page (``form_url``) holds."""
    token = form_token(client, form_url or url)
    return client.post(url, data={"csrf_token": token, **data}, **kw)


def admin_client_for(app: Flask) -> FlaskClient:
    """Create the test admin on ``app`` and return a client signed in as them."""
    create_admin(app)
    client = app.test_client()
    assert log_in(client).status_code == 302
    return client
