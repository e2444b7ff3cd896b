"""Browser tests: the real app served on 127.0.0.1, driven by Debian's headless Chromium.

No browser is downloaded: Playwright launches /usr/bin/chromium (`make test` installs the
Debian package where it can). Where Chromium is missing the tests skip with that message.
Every request the page makes to another host is refused, and map tiles come from the local
blank tile. Screenshots are kept in test-artifacts/screenshots/.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, Route, sync_playwright
from werkzeug.serving import make_server

from tests.conftest import ADMIN_NAME, ADMIN_PASSWORD, create_admin, make_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
BLANK_TILE = "/static/img/blank-tile.png"

pytestmark = pytest.mark.browser


# The one Chromium of a test run. tests/security/conftest.py imports this fixture too, which
# pytest registers as a second session fixture; Playwright's sync API cannot start twice in one
# thread, so whichever starts first owns the browser and the other reuses it.
_RUNNING: list[Browser] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    if _RUNNING:
        yield _RUNNING[0]
        return
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--headless", "--no-sandbox"]
        )
        _RUNNING.append(chromium)
        try:
            yield chromium
        finally:
            _RUNNING.clear()
            chromium.close()


@pytest.fixture
def live_app(db_url: str) -> Iterator[Flask]:
    app = make_app(db_url, MAP_TILE_URL=BLANK_TILE)
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def live_url(live_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


class PageProblems:
    """What went wrong in the browser while a test ran."""

    def __init__(self) -> None:
        self.console_errors: list[str] = []
        self.outside_requests: list[str] = []


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(
    browser: Browser, live_url: str, problems: PageProblems, request: pytest.FixtureRequest
) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 375, "height": 800}, base_url=live_url)

    def guard(route: Route) -> None:
        if route.request.url.startswith(live_url):
            route.continue_()
        else:
            problems.outside_requests.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    tab = context.new_page()
    tab.on(
        "console",
        lambda message: (
            problems.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield tab
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()


@pytest.fixture
def browser_no_js(browser: Browser, live_url: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 375, "height": 800}, base_url=live_url, java_script_enabled=False
    )
    yield context.new_page()
    context.close()


def sign_in(page: Page, app: Flask) -> None:
    """Create the test admin and sign in through the form, as a person would."""
    create_admin(app)
    page.goto("/admin/login")
    page.fill("#username", ADMIN_NAME)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url("**/admin/imports")
