"""The Content-Security-Policy in a real browser: the main pages work and nothing is blocked."""

from __future__ import annotations

import pytest
from flask import Flask
from playwright.sync_api import Page

from tests.browser.conftest import PageProblems, sign_in
from tests.browser.test_accessibility import every_page

pytestmark = pytest.mark.browser

# Runs before any page script; CSP does not apply to it. Every blocked script, style or
# image is reported to the page as a securitypolicyviolation event.
LISTEN = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def violations(page: Page, problems: PageProblems) -> list[str]:
    found: list[str] = page.evaluate("window.__csp")
    console = [m for m in problems.console_errors if "Content Security Policy" in m]
    return found + console


def test_no_page_reports_a_csp_violation(
    page: Page, live_app: Flask, problems: PageProblems
) -> None:
    page.add_init_script(LISTEN)
    sign_in(page, live_app)
    seen = {}
    for url in ["/admin/login", *every_page(live_app), "/facilities/1/report"]:
        page.goto(url)
        page.wait_for_load_state("load")
        found = violations(page, problems)
        if found:
            seen[url] = found
        problems.console_errors.clear()
    assert not seen


def test_the_results_map_draws_under_the_policy(
    page: Page, live_app: Flask, problems: PageProblems
) -> None:
    page.add_init_script(LISTEN)
    page.goto("/search?near=22903&radius=25")
    page.wait_for_selector(".leaflet-tile-loaded, .leaflet-marker-icon")
    assert page.locator(".leaflet-marker-icon").count() > 0
    assert violations(page, problems) == []


def test_an_inline_script_would_be_caught(
    page: Page, live_app: Flask, problems: PageProblems
) -> None:
    live_app.add_url_rule(
        "/csp-probe", "csp_probe", lambda: "<p>probe</p><script>document.title='ran'</script>"
    )
    page.add_init_script(LISTEN)
    page.goto("/csp-probe")
    page.wait_for_load_state("load")
    assert page.title() != "ran", "the policy blocked the inline script"
    assert any("script-src" in v for v in violations(page, problems))
