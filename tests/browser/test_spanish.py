"""The Spanish interface in headless Chromium: axe-core, phone width and the language switch."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.browser.test_accessibility import AXE, WCAG_AA, every_page, serious

pytestmark = pytest.mark.browser


def test_spanish_pages_pass_axe_and_fit_a_phone(page: Page, live_app: Flask) -> None:
    page.goto("/?lang=es")  # the cookie keeps Spanish for every page after this one
    problems, too_wide = {}, {}
    for url in every_page(live_app):
        page.goto(url)
        assert page.evaluate("document.documentElement.lang") == "es", url
        found = serious(AXE.run(page, options=WCAG_AA))
        if found:
            problems[url] = found
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            too_wide[url] = width
    assert not problems
    assert not too_wide


def test_the_switch_turns_a_result_page_spanish_and_back(page: Page) -> None:
    page.goto("/search?near=22903&radius=10")
    expect(page.locator("h1")).to_contain_text("Treatment near")
    page.get_by_role("link", name="Español").click()
    expect(page.locator("h1")).to_contain_text("Tratamiento cerca de")
    assert "near=22903" in page.url and "radius=10" in page.url
    expect(page.locator(".leaflet-control-zoom-in")).to_have_attribute("title", "Acercar")
    expect(page.locator(".leaflet-control-zoom-out")).to_have_attribute("title", "Alejar")
    page.get_by_role("link", name="Tipos de ayuda").click()
    expect(page.locator("h1")).to_have_text("Tipos de ayuda")
    page.get_by_role("link", name="English").click()
    expect(page.locator("h1")).to_have_text("Kinds of help")
