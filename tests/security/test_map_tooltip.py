"""Probe: a place label from the online geocoder must reach the map's tooltip as text.

Browser test (Chromium): the geocoder is a local server answering with a display name that
holds markup, as a compromised or odd provider could; the origin marker's tooltip must show
the characters, not build elements from them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page
from pytest_httpserver import HTTPServer

from tests.browser.conftest import BLANK_TILE
from tests.conftest import make_app

pytestmark = pytest.mark.browser

MARKUP = '<b id="injected">Injected</b> Preston Avenue'
ANSWER = [
    {
        "lat": "38.0364492",
        "lon": "-78.4888244",
        "display_name": f"{MARKUP}, Charlottesville, Virginia, 22903, United States",
        "boundingbox": ["38.03", "38.04", "-78.49", "-78.48"],
        "address": {"state": "Virginia", "postcode": "22903"},
    }
]


@pytest.fixture
def live_app(db_url: str, httpserver: HTTPServer) -> Iterator[Flask]:
    httpserver.expect_request("/search").respond_with_data(
        json.dumps(ANSWER), content_type="application/json"
    )
    app = make_app(
        db_url,
        MAP_TILE_URL=BLANK_TILE,
        GEOCODER="nominatim",
        GEOCODER_SCHEME="http",
        GEOCODER_DOMAIN=f"{httpserver.host}:{httpserver.port}",
        GEOCODER_MIN_DELAY_SECONDS=0.0,
        GEOCODER_TIMEOUT_SECONDS=2.0,
    )
    yield app
    app.extensions["engine"].dispose()


def test_the_origin_tooltip_shows_markup_as_text(page: Page) -> None:
    page.goto("/search?near=800+Preston+Avenue%2C+Charlottesville%2C+VA+22903&radius=25")
    page.wait_for_selector(".leaflet-marker-icon")
    origin = page.locator("path.leaflet-interactive").first
    origin.dispatch_event("mouseover")
    tooltip = page.locator(".leaflet-tooltip")
    tooltip.wait_for()
    assert "<b" in tooltip.inner_text(), "the characters are shown as typed"
    assert page.locator("#injected").count() == 0, "no element was built from them"
