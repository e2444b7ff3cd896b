"""Pooled PostgreSQL connections: a connection the server ended is replaced, not handed out.

The engine does not ping every checkout (two round trips of each search); these tests end
the server side of pooled connections, as a restart or pg_terminate_backend does, and check
that the next request still gets its answer.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from locator.db import make_engine
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (LOCATOR_TEST_DATABASE_URL)")


@pytest.fixture
def pg() -> Iterator[Engine]:
    engine = make_engine(PG_URL)
    yield engine
    engine.dispose()


def _backend_pid(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(pids: list[int]) -> None:
    admin = make_engine(PG_URL)
    with admin.connect() as conn:
        for pid in pids:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


def _wait_gone(pids: list[int]) -> None:
    admin = make_engine(PG_URL)
    with admin.connect() as conn:
        for _ in range(100):
            alive = conn.execute(
                text("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(:pids)"),
                {"pids": pids},
            ).scalar_one()
            if not alive:
                break
            time.sleep(0.02)
    admin.dispose()


def test_a_connection_the_server_ended_is_replaced_on_checkout(pg: Engine) -> None:
    first = _backend_pid(pg)
    assert _backend_pid(pg) == first  # in steady use the pool hands out the same connection
    _terminate([first])
    _wait_gone([first])
    second = _backend_pid(pg)
    assert second != first


def test_every_pooled_connection_of_a_restarted_server_is_replaced(pg: Engine) -> None:
    held = [pg.connect() for _ in range(3)]
    pids = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in held]
    for conn in held:
        conn.close()
    _terminate(pids)
    _wait_gone(pids)
    held = [pg.connect() for _ in range(3)]
    fresh = [int(c.execute(text("SELECT pg_backend_pid()")).scalar_one()) for c in held]
    for conn in held:
        conn.close()
    assert not set(fresh) & set(pids)


def test_the_search_api_reads_without_a_transaction_and_other_views_keep_theirs() -> None:
    from locator.web.session import get_reader, get_session
    from tests.conftest import make_app

    app = make_app(PG_URL)
    with app.test_request_context("/api/v1/facilities?near=22903"):
        reader = get_reader()
        driver = reader.connection.dbapi_connection
        assert driver is not None and driver.autocommit
        assert get_session().connection() is reader  # one connection for the request
    with app.test_request_context("/api/v1/facilities/1"):
        driver = get_session().connection().connection.dbapi_connection
        assert driver is not None and not driver.autocommit
        assert get_reader() is get_session().connection()
    app.extensions["engine"].dispose()


def test_a_pinged_connection_serves_a_reading_engine(
    pg: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An idle connection is pinged on checkout, the reading engine's (in autocommit) too."""
    from locator import db

    reader = db.reading_engine(pg)
    with reader.connect() as conn:
        conn.execute(text("SELECT 1"))
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)  # every checkout pings
    for engine in (reader, pg, reader):
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1")).scalar_one() == 1
