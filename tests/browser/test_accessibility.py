"""WCAG 2.1 AA checks with axe-core in headless Chromium on every page, at phone width."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page
from sqlmodel import Session, select

from locator.facilities.guide import TOPICS
from locator.models import Facility, Meeting
from scrapers.meeting_snapshot import seed_meetings
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

AXE = Axe()
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def every_page(app: Flask) -> list[str]:
    seed_meetings(app.extensions["engine"])
    with Session(app.extensions["engine"]) as session:
        facility = session.exec(select(Facility.id).limit(1)).one()
        meeting = session.exec(select(Meeting.id).limit(1)).one()
    return [
        "/",
        "/search?near=22903",
        "/search?near=22903&service=telehealth&radius=50",
        "/search?near=Narnia",
        f"/facilities/{facility}",
        "/meetings/",
        "/meetings/?near=Geneva%2C+NY&radius=25",
        f"/meetings/{meeting}",
        "/guide/",
        *[f"/guide/{t.slug}" for t in TOPICS],
        "/guide/which-help",
        "/laws",
        "/laws/AL",
        "/laws/VA",
        "/laws/PR",
        "/admin/imports",
        "/admin/reports",
        "/admin/laws",
        "/admin/audit",
        "/admin/mine",
        "/referrals",
        "/no-such-page",
    ]


def serious(results: Any) -> list[str]:
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] in {"serious", "critical"}:
            nodes = ", ".join(n["target"][0] for n in violation["nodes"][:3])
            found.append(f"{violation['id']} ({violation['impact']}): {nodes}")
    return found


def test_no_page_has_a_serious_or_critical_axe_violation(page: Page, live_app: Flask) -> None:
    problems = {}
    page.goto("/admin/login")
    found = serious(AXE.run(page, options=WCAG_AA))
    if found:
        problems["/admin/login"] = found
    sign_in(page, live_app)
    for url in every_page(live_app):
        page.goto(url)
        found = serious(AXE.run(page, options=WCAG_AA))
        if found:
            problems[url] = found
    assert not problems


def test_every_page_fits_a_375_pixel_phone_without_sideways_scrolling(
    page: Page, live_app: Flask
) -> None:
    too_wide = {}
    sign_in(page, live_app)
    for url in every_page(live_app):
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > 375:
            too_wide[url] = width
    assert not too_wide


def test_the_questionnaire_can_be_answered_with_the_keyboard_alone(page: Page) -> None:
    page.goto("/guide/which-help")
    page.locator("input[name=product]").first.focus()
    page.keyboard.press("Space")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "submit":
            break
    else:
        pytest.fail("the submit button cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "the focused button shows no focus ring"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "which-help-result"
