"""Referral lists: built from a link, reordered, annotated, shared and exported."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from pypdf import PdfReader

from locator.errors import BadQueryError
from locator.exports.referrals import Entry, list_query, moved, parse_entries
from tests.utils.meetings import add_meetings, meeting, meetings


@pytest.fixture
def m(engine) -> str:
    """A stored test meeting's list key, e.g. "m1"."""
    add_meetings(engine, meeting("referral"))
    return f"m{meetings(engine)['referral'].id}"


def names_on(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [str(li["data-entry"]) for li in soup.select("li.referral")]


def test_the_list_page_shows_entries_in_the_links_order_with_notes(
    client: FlaskClient, m: str
) -> None:
    response = client.get(f"/referrals?l=f3,{m},f1&n.f3=Ask+for+Dana+at+intake")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert names_on(html) == ["f3", m, "f1"]
    soup = BeautifulSoup(html, "html.parser")
    assert soup.select_one("#note-f3").get_text() == "Ask for Dana at intake"
    assert "Last seen:" in soup.select_one("#entry-f3 .provenance").get_text()
    assert "988" in html and "1-800-662-4357" in html  # crisis lines on every page


def test_move_and_remove_links_reproduce_the_reordered_list(client: FlaskClient, m: str) -> None:
    soup = BeautifulSoup(
        client.get(f"/referrals?l=f3,{m},f1").get_data(as_text=True), "html.parser"
    )
    down = soup.select_one("#entry-f3 a[data-move='1']")["href"]
    assert names_on(client.get(down).get_data(as_text=True)) == [m, "f3", "f1"]
    remove = soup.select_one(f"#entry-{m} a[data-remove]")["href"]
    assert names_on(client.get(remove).get_data(as_text=True)) == ["f3", "f1"]


def test_the_share_link_carries_order_and_notes(client: FlaskClient) -> None:
    html = client.get("/referrals?l=f2,f1&n.f1=Bring+ID").get_data(as_text=True)
    share = BeautifulSoup(html, "html.parser").select_one("#share-link")["value"]
    query = parse_qs(urlsplit(share).query)
    assert query == {"l": ["f2,f1"], "n.f1": ["Bring ID"]}
    assert names_on(client.get(share).get_data(as_text=True)) == ["f2", "f1"]


def test_entries_no_longer_in_the_directory_are_left_out_with_a_note(client: FlaskClient) -> None:
    html = client.get("/referrals?l=f1,f999999").get_data(as_text=True)
    assert names_on(html) == ["f1"]
    assert "1 entry is no longer in the directory" in html


def test_a_malformed_list_is_a_400_sentence(client: FlaskClient) -> None:
    response = client.get("/referrals?l=f1,drop+table")
    assert response.status_code == 400
    assert "entries look like f12" in response.get_data(as_text=True)
    api = client.get("/api/v1/referrals/export?format=csv&l=")
    assert api.status_code == 400 and "empty" in api.get_json()["error"]["message"]


def test_list_length_and_note_length_are_capped() -> None:
    with pytest.raises(BadQueryError, match="at most 2 entries"):
        parse_entries({"l": "f1,f2,f3"}, limit=2)
    with pytest.raises(BadQueryError, match="at most 500 characters"):
        parse_entries({"l": "f1", "n.f1": "x" * 501}, limit=5)
    assert parse_entries({"l": "f1,f1,m2"}, limit=5) == [Entry("f", 1), Entry("m", 2)]


def test_moving_past_either_end_stays_at_the_end() -> None:
    entries = [Entry("f", 1), Entry("f", 2), Entry("m", 3)]
    assert [e.key for e in moved(entries, 0, -1)] == ["f1", "f2", "m3"]
    assert [e.key for e in moved(entries, 0, 5)] == ["f2", "m3", "f1"]
    assert list_query(entries[:1]) == {"l": "f1"}


def test_referral_csv_keeps_order_kinds_notes_and_distances(client: FlaskClient, m: str) -> None:
    url = f"/referrals/export.csv?l={m},f1&n.f1=Call+first&near=22903"
    rows = list(csv.DictReader(io.StringIO(client.get(url).data.decode("utf-8-sig"))))
    assert [(r["position"], r["kind"], r["id"]) for r in rows] == [
        ("1", "meeting", m[1:]),
        ("2", "facility", "1"),
    ]
    assert rows[1]["note"] == "Call first" and rows[1]["distance"]
    assert rows[0]["schedule"] and rows[0]["fellowship"] and rows[0]["last_seen"]
    facility = client.get("/api/v1/facilities/1").get_json()["facility"]
    assert rows[1]["name"] == facility["name"]
    assert rows[1]["service_codes"].split(", ") == facility["services"]


def test_referral_pdf_sheet_has_the_notes_and_crisis_lines(client: FlaskClient, m: str) -> None:
    response = client.get(f"/api/v1/referrals/export?format=pdf&l=f1,{m}&n.{m}=Doors+open+at+6")
    assert response.status_code == 200
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages)
    text = " ".join(text.split())
    assert "Note: Doors open at 6" in text
    assert "988" in text and "1-800-662-4357" in text and "Referral list" in text
    assert "Test meeting referral" in text and "Mondays 7:00 pm (America/New_York)" in text


def test_facility_page_starts_a_referral_list(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/facilities/1").get_data(as_text=True), "html.parser")
    assert soup.select_one("button[data-add-referral='f1']") is not None
    start = soup.find("a", string="Start a referral list with this facility")["href"]
    assert names_on(client.get(start).get_data(as_text=True)) == ["f1"]


def test_pages_load_the_print_stylesheet_and_the_list_script(client: FlaskClient) -> None:
    soup = BeautifulSoup(client.get("/search?near=22903").get_data(as_text=True), "html.parser")
    printed = soup.select_one("link[media='print']")
    assert printed is not None
    css = client.get(printed["href"])
    assert css.status_code == 200 and b".crisis" in css.data
    css.close()
    script = soup.select_one("script[src*='js/referrals']")
    assert script is not None and not script.get_text(strip=True)
    served = client.get(script["src"])
    assert b"localStorage" in served.data
    served.close()
    buttons = soup.select("button[data-add-referral]")
    assert buttons and all(b.has_attr("hidden") for b in buttons)  # shown by the script only


def test_meeting_results_and_page_offer_the_list(client: FlaskClient, m: str) -> None:
    results = client.get("/meetings/?near=22903&radius=10", follow_redirects=True)
    soup = BeautifulSoup(results.get_data(as_text=True), "html.parser")
    assert soup.select_one(f"button[data-add-referral='{m}']") is not None
    page = BeautifulSoup(client.get(f"/meetings/{m[1:]}").get_data(as_text=True), "html.parser")
    start = page.find("a", string="Start a referral list with this meeting")["href"]
    assert names_on(client.get(start).get_data(as_text=True)) == [m]
