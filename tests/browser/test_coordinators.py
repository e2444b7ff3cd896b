"""A referral coordinator in a real browser: sign in, record a call, find it; keep list notes."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlmodel import Session

from locator.admin.accounts import create_user
from tests.browser.conftest import PageProblems
from tests.conftest import ADMIN_PASSWORD

pytestmark = pytest.mark.browser


def test_a_coordinator_records_a_call_and_finds_it_in_a_confirmed_search(
    page: Page, live_app: Flask, problems: PageProblems
) -> None:
    with Session(live_app.extensions["engine"]) as session:
        create_user(
            session=session, username="casemanager", password=ADMIN_PASSWORD, role="coordinator"
        )
    page.goto("/admin/login")
    page.fill("#username", "casemanager")
    page.fill("#password", ADMIN_PASSWORD)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url("**/admin/mine")
    expect(page.locator("h1")).to_have_text("My recent exports and lists")

    page.goto("/search?near=22903&radius=25")
    second = page.locator(".result h3 a").nth(1)
    name = second.inner_text()
    second.click()
    page.check("#outcome-wait_list")
    page.fill("#wait_days", "10")
    page.locator(".call-form details summary").click()
    page.locator(".call-form input[name=confirmed]").first.check()
    with page.expect_navigation():
        page.click(".call-form button[type=submit]")
    expect(page.locator("#last-confirmation")).to_contain_text("(today): wait list, about 10 days")
    expect(page.locator(".call-history li")).to_have_count(1)

    page.goto("/")
    page.fill("#near", "22903")
    page.check("#confirmed")
    with page.expect_navigation():
        page.click(".search-form button[type=submit]")
    assert parse_qs(urlsplit(page.url).query)["confirmed"] == ["90"]
    expect(page.locator(".result")).to_have_count(1)
    expect(page.locator(".result h3 a")).to_have_text(name)
    expect(page.locator(".result .confirmed")).to_contain_text("Confirmed by phone on")
    assert problems.console_errors == [] and problems.outside_requests == []


def test_referral_notes_are_kept_as_they_are_typed(page: Page, problems: PageProblems) -> None:
    page.goto("/referrals?l=f1,f2")
    submit = page.locator(".referral-form button[type=submit]")
    expect(submit).to_have_text("Show distances")  # no "Save" button to miss
    note = page.locator("#note-f1")
    assert note.evaluate("el => el.rows") >= 4  # room to write a real note
    note.fill("Ask for Dana at intake")
    expect(page.locator("#notes-status")).to_contain_text("Notes saved")
    pdf = page.locator(".export-links a[data-format='pdf']").get_attribute("href") or ""
    assert parse_qs(urlsplit(pdf).query)["n.f1"] == ["Ask for Dana at intake"]
    move = page.locator("#entry-f1 .entry-actions a[data-move]").get_attribute("href") or ""
    assert "Ask+for+Dana" in move or "Ask%20for%20Dana" in move

    page.reload()  # the address bar holds the note too
    expect(page.locator("#note-f1")).to_have_value("Ask for Dana at intake")

    page.goto("/")
    page.goto("/referrals")  # no list in the link: the one kept in this browser opens
    page.wait_for_url("**/referrals?l=f1*")
    expect(page.locator("#note-f1")).to_have_value("Ask for Dana at intake")
    expect(page.locator("#referral-empty")).to_have_count(0)
    assert problems.console_errors == [] and problems.outside_requests == []
