"""Probe: a Redis that accepts connections and never answers must not hang the site.

The limiter's storage gives up within half a second, the app fails open with a logged
warning, and the pages, the search and the API keep answering within 2 s, also when many
API requests arrive at once.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import Flask

from tests.conftest import make_app


@pytest.fixture
def silent_redis() -> Iterator[int]:
    """A TCP listener that accepts every connection and never sends a byte."""
    server = socket.socket()
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(256)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            held.append(conn)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    server.close()


def hung_app(db_url: str, port: int) -> Flask:
    return make_app(
        db_url,
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0",
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
    )


def timed_get(app: Flask, url: str) -> tuple[int, float]:
    started = time.perf_counter()
    status = app.test_client().get(url).status_code
    return status, time.perf_counter() - started


def test_pages_search_and_api_answer_within_2_s_with_a_silent_redis(
    db_url: str, silent_redis: int, caplog: pytest.LogCaptureFixture
) -> None:
    app = hung_app(db_url, silent_redis)
    caplog.set_level(logging.WARNING)
    urls = ["/api/v1/facilities?near=22903", "/", "/search?near=22903", "/api/v1/services"]
    for url in urls:
        status, seconds = timed_get(app, url)
        assert status == 200 and seconds < 2, (url, status, seconds)
    assert any("storage unreachable" in r.getMessage() for r in caplog.records), (
        "failing open is logged"
    )
    app.extensions["engine"].dispose()


def test_a_burst_of_api_requests_does_not_tie_up_the_site(db_url: str, silent_redis: int) -> None:
    app = hung_app(db_url, silent_redis)
    urls = ["/api/v1/services"] * 16 + ["/", "/search?near=22903"] * 2
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda url: timed_get(app, url), urls))
    assert all(status == 200 for status, _ in answers), answers
    assert max(seconds for _, seconds in answers) < 2, answers
    app.extensions["engine"].dispose()


def test_the_storage_client_gives_up_within_half_a_second(silent_redis: int) -> None:
    from limits.storage import storage_from_string

    from locator.web.security import storage_options

    uri = f"redis://127.0.0.1:{silent_redis}/0"
    storage = storage_from_string(uri, **storage_options(uri))
    started = time.perf_counter()
    with pytest.raises(Exception, match=r"(?i)timeout|timed out"):
        storage.get("any-key")
    assert time.perf_counter() - started < 0.9


def test_gunicorn_logs_that_it_serves_unlimited_while_redis_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    from tests.security.gunicorn import serve_prod
    from tests.utils.processes import free_port

    refused = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with serve_prod(db_url, tmp_path, LOCATOR_RATELIMIT_STORAGE_URI=refused) as base:
        for _ in range(4):  # both workers see it
            assert requests.get(base + "/api/v1/services", timeout=5).status_code == 200
    log = "\n".join(p.read_text() for p in tmp_path.glob("gunicorn-*.log"))
    assert "[WARNING] flask-limiter: Rate limit storage unreachable" in log, log[-2000:]
