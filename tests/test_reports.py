"""'Report a problem': stored for review with the listing and the text; floods refused."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session, col, select

from locator.models import Facility, ProblemReport
from scrapers.meeting_snapshot import seed_meetings
from tests.conftest import admin_client_for, make_app, post_form
from tests.test_pages import soup


def first_facility(app: Flask) -> Facility:
    with Session(app.extensions["engine"]) as session:
        found = session.exec(select(Facility).order_by(col(Facility.id))).first()
        assert found is not None
        return found


def stored(app: Flask) -> list[ProblemReport]:
    with Session(app.extensions["engine"]) as session:
        return list(session.exec(select(ProblemReport)))


def test_a_report_is_stored_with_the_listing_and_the_text(app: Flask, client: FlaskClient) -> None:
    facility = first_facility(app)
    form = soup(client, f"/facilities/{facility.id}/report").select_one("form.report-form")
    assert {i["value"] for i in form.select("input[name=problem]")} >= {"phone", "closed"}
    answer = post_form(
        client, form["action"], {"problem": "phone", "text": "  The number rings out.  "}
    )
    assert answer.status_code == 200
    assert "Thank you" in answer.get_data(as_text=True)
    (report,) = stored(app)
    assert (report.kind, report.listing_id, report.listing_name) == (
        "facility",
        facility.id,
        facility.name,
    )
    assert (report.listing_source, report.listing_key) == (facility.source, facility.source_key)
    assert (report.problem, report.text, report.status) == ("phone", "The number rings out.", "new")
    assert "127.0.0.1" not in report.sender, "the sender's address is never kept"


def test_every_result_and_listing_page_links_to_its_report_form(
    app: Flask, client: FlaskClient
) -> None:
    results = soup(client, "/search?near=22903&radius=25").select(".result")
    assert results and all(r.select_one("a.report-link") for r in results)
    facility = first_facility(app)
    page = soup(client, f"/facilities/{facility.id}")
    assert page.select_one("a.report-link")["href"] == f"/facilities/{facility.id}/report"
    seed_meetings(app.extensions["engine"])
    meetings = soup(client, "/meetings/?near=Geneva%2C+NY&radius=25").select("li.meeting, .result")
    assert meetings and all(m.select_one("a.report-link") for m in meetings)


def test_a_meeting_can_be_reported_too(app: Flask, client: FlaskClient) -> None:
    seed_meetings(app.extensions["engine"])
    link = soup(client, "/meetings/?near=Geneva%2C+NY&radius=25").select_one("a.report-link")
    form = soup(client, link["href"]).select_one("form.report-form")
    post_form(client, form["action"], {"problem": "schedule", "text": "It moved to 7 pm."})
    (report,) = stored(app)
    assert report.kind == "meeting" and report.problem == "schedule"


def test_a_bad_report_says_what_to_fix_and_stores_nothing(app: Flask, client: FlaskClient) -> None:
    facility = first_facility(app)
    url = f"/facilities/{facility.id}/report"
    missing = post_form(client, url, {"problem": "other", "text": ""})
    assert missing.status_code == 400
    assert "what is wrong" in soup_text(missing.get_data(as_text=True))
    unknown = post_form(client, url, {"problem": "nonsense"})
    assert unknown.status_code == 400
    long = post_form(client, url, {"problem": "phone", "text": "x" * 2001})
    assert long.status_code == 400 and "2000" in long.get_data(as_text=True)
    assert stored(app) == []
    assert (
        post_form(
            client, "/facilities/999999/report", {"problem": "phone"}, form_url=url
        ).status_code
        == 404
    )


def test_a_flood_of_reports_is_refused_with_retry_after(db_url: str) -> None:
    app = make_app(db_url, REPORT_LIMIT_PER_SENDER_PER_HOUR=3, REPORT_LIMIT_PER_HOUR=100)
    client = app.test_client()
    url = f"/facilities/{first_facility(app).id}/report"
    codes = [post_form(client, url, {"problem": "phone"}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]
    refused = post_form(client, url, {"problem": "phone"})
    assert refused.headers["Retry-After"] == "3600"
    assert "try again later" in refused.get_data(as_text=True)
    assert len(stored(app)) == 3
    # Another sender is still heard, until everyone together reaches the overall limit.
    other = post_form(client, url, {"problem": "closed"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200
    app.extensions["engine"].dispose()


def test_the_overall_hourly_limit_holds_across_senders(db_url: str) -> None:
    app = make_app(db_url, REPORT_LIMIT_PER_SENDER_PER_HOUR=10, REPORT_LIMIT_PER_HOUR=2)
    client = app.test_client()
    url = f"/facilities/{first_facility(app).id}/report"
    codes = [
        post_form(
            client, url, {"problem": "phone"}, environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}
        ).status_code
        for n in range(4)
    ]
    assert codes == [200, 200, 429, 429]
    app.extensions["engine"].dispose()


def test_a_robot_filling_the_hidden_field_is_thanked_and_ignored(
    app: Flask, client: FlaskClient
) -> None:
    url = f"/facilities/{first_facility(app).id}/report"
    answer = post_form(client, url, {"problem": "phone", "website": "http://spam.example"})
    assert answer.status_code == 200 and stored(app) == []


def test_reports_are_listed_for_review(app: Flask, client: FlaskClient) -> None:
    facility = first_facility(app)
    post_form(client, f"/facilities/{facility.id}/report", {"problem": "closed", "text": "Shut."})
    rows = soup(admin_client_for(app), "/admin/reports").select("table.reports tbody tr")
    assert len(rows) == 1
    assert facility.name in rows[0].get_text() and "Shut." in rows[0].get_text()


def soup_text(html: str) -> str:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser").get_text(" ", strip=True)
