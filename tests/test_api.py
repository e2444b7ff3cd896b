"""The JSON API: results with distances and paging, provenance, errors as JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlmodel import Session

from locator.admin.confirmations import latest_for
from locator.models import LocalRestriction, PhoneConfirmation
from locator.web.law_context import law_status_json
from tests.utils.laws import set_law


def test_facilities_near_a_place_with_distances(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities?near=22903&radius=10").get_json()
    assert body["origin"]["kind"] == "zip" and body["unit"] == "mi"
    distances = [r["distance"] for r in body["results"]]
    assert distances == sorted(distances) and all(d <= 10 for d in distances)
    first = body["results"][0]
    assert first["source"]["last_seen"] == "2019-05-30"
    assert first["url"].endswith(f"/facilities/{first['id']}")
    assert "988" in body["disclaimer"]


def test_a_whole_state_has_no_distances(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities?near=Virginia&per_page=50").get_json()
    assert body["origin"]["kind"] == "state" and body["total"] == 23
    assert [r["distance"] for r in body["results"]] == [None] * 23
    outside = client.get("/api/v1/facilities?near=Montana").get_json()["nearest_outside_radius"]
    assert outside and all(r["distance"] is None for r in outside)  # from Montana's centre


def test_lat_lon_instead_of_near(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities?lat=38.03&lon=-78.48&radius=5&unit=km").get_json()
    assert body["origin"]["kind"] == "coordinates" and body["unit"] == "km"
    assert all(r["distance"] <= 5 for r in body["results"])


def test_paging_links(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities?near=22903&radius=100&per_page=5").get_json()
    assert body["per_page"] == 5 and body["pages"] == -(-body["total"] // 5)
    assert body["links"]["prev"] is None
    second = client.get(body["links"]["next"]).get_json()
    assert second["page"] == 2
    assert {r["id"] for r in second["results"]}.isdisjoint({r["id"] for r in body["results"]})


def test_service_filter_and_category_labels(client: FlaskClient) -> None:
    body = client.get(
        "/api/v1/facilities?near=22903&radius=50&service=telehealth,outpatient"
    ).get_json()
    assert body["services"] == ["telehealth", "outpatient"]
    for result in body["results"]:
        assert {"Telehealth", "Outpatient"} & set(result["categories"])


def total(client: FlaskClient, query: str) -> int:
    return int(client.get(f"/api/v1/facilities?near=22903&radius=50&{query}").get_json()["total"])


def test_several_types_of_care_or_medications_match_any_of_them(client: FlaskClient) -> None:
    detox, residential = total(client, "service=detox"), total(client, "service=residential")
    both = total(client, "service=detox&service=residential")
    assert both == total(client, "service=detox,residential")
    assert max(detox, residential) <= both <= detox + residential and both > 0
    assert both < total(client, "")
    methadone, naltrexone = total(client, "service=methadone"), total(client, "service=naltrexone")
    assert max(methadone, naltrexone) <= total(client, "service=methadone&service=naltrexone")


def test_filters_of_different_groups_must_all_match(client: FlaskClient) -> None:
    any_care = total(client, "service=outpatient&service=residential")
    with_medicaid = total(client, "service=outpatient&service=residential&service=medicaid")
    assert with_medicaid <= min(any_care, total(client, "service=medicaid"))
    body = client.get(
        "/api/v1/facilities?near=22903&radius=50&service=outpatient&service=residential"
        "&service=medicaid&per_page=100"
    ).get_json()
    for result in body["results"]:
        assert "Medicaid" in result["categories"]
        assert {"Outpatient", "Residential"} & set(result["categories"])


def test_one_facility(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities/1").get_json()["facility"]
    assert body["id"] == 1 and body["source"]["name"] == "samhsa"
    assert isinstance(body["unmapped_services"], list)


def test_unknown_facility_is_a_json_404(client: FlaskClient) -> None:
    response = client.get("/api/v1/facilities/424242")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"] == "There is no facility with id 424242."


def test_services_and_coverage_listings(client: FlaskClient) -> None:
    services = client.get("/api/v1/services").get_json()
    keys = {s["key"] for s in services["services"]}
    assert {"detox", "outpatient", "residential", "telehealth", "sliding_fee"} <= keys
    coverage = client.get("/api/v1/coverage").get_json()
    assert coverage["facilities"] == 23 and coverage["states"] == ["VA"]


def test_an_empty_search_lists_the_nearest_outside_its_radius(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities?near=99501&radius=25&service=outpatient").get_json()
    assert body["total"] == 0 and body["results"] == []
    nearest = body["nearest_outside_radius"]
    assert len(nearest) == 5 and not body["none_anywhere"]
    distances = [row["distance"] for row in nearest]
    assert distances == sorted(distances) and distances[0] > 25
    assert set(nearest[0]) == set(_full_row(client))  # the same row shape as results
    assert all("Outpatient" in row["categories"] and row["services"] for row in nearest)
    assert body["larger_radius"] is None  # Virginia is beyond the largest allowed distance
    assert any("1-800-662-4357" in line for line in body["advice"])


def _full_row(client: FlaskClient) -> dict[str, object]:
    return client.get("/api/v1/facilities?near=22903&radius=25").get_json()["results"][0]


def test_a_search_with_results_has_no_nearest_outside(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities?near=22903&radius=25").get_json()
    assert body["total"] > 0 and body["nearest_outside_radius"] == []
    assert body["advice"] == [] and body["larger_radius"] is None


def test_nothing_anywhere_is_said_in_the_api(client: FlaskClient) -> None:
    body = client.get("/api/v1/facilities?near=22903&service=detox").get_json()
    assert body["total"] == 0 and body["nearest_outside_radius"] == []
    assert body["none_anywhere"] is True and body["advice"]


def test_a_one_word_city_answers_with_the_biggest_and_names_the_others(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/facilities?near=Miami")
    assert response.status_code == 200
    origin = response.get_json()["origin"]
    assert origin["label"] == "Miami, FL" and "Miami, OK" in origin["others"]
    assert "biggest" in origin["note"]


def test_the_origin_note_is_in_the_asked_language(client: FlaskClient) -> None:
    origin = client.get("/api/v1/facilities?near=Miami&lang=es").get_json()["origin"]
    assert origin["note"].startswith("Se muestra Miami, FL, el mayor")


def test_the_listing_reads_of_the_search_agree_with_their_own_lookups(app: Flask) -> None:
    """The search reads each listing's law status, local rules and latest call in its own
    statement (facilities.search.listing_columns); they must say what the per-request reads
    say, and a change must show in the next answer (nothing is kept between requests)."""
    engine = app.extensions["engine"]
    client = app.test_client()
    near = "/api/v1/facilities?near=22903&radius=25"
    first = client.get(near).get_json()["results"]
    ids = [r["id"] for r in first[:3]]
    today = datetime.now(UTC).date()
    with Session(engine) as session:
        for n, facility_id in enumerate(ids):  # same-day calls: the later entry is the latest
            for outcome in ("no_answer", "wait_list", "accepting")[: n + 1]:
                wait = 7 if outcome == "wait_list" else None
                session.add(
                    PhoneConfirmation(
                        facility_id=facility_id,
                        called_on=today - timedelta(days=n),
                        outcome=outcome,
                        wait_days=wait,
                        confirmed=["OP"] if outcome == "accepting" else [],
                        username="x",
                    )
                )
        session.add(
            PhoneConfirmation(
                facility_id=ids[0],
                called_on=today - timedelta(days=30),
                outcome="closed",
                username="x",
            )
        )
        state, city = first[0]["address"]["state"], first[0]["address"]["city"]
        session.add(LocalRestriction(state=state, place=city, kind="ban", source_url="https://x"))
        session.commit()
    set_law(engine, state, status="banned")
    with app.test_request_context(near):
        with Session(engine) as session:
            latest = latest_for(session=session, ids=ids)
        expected = {
            r["id"]: law_status_json(r["address"]["state"], r["address"]["city"]) for r in first
        }
    answer = client.get(near).get_json()["results"]
    assert [r["id"] for r in answer] == [r["id"] for r in first]
    for result in answer:
        call = latest.get(result["id"])
        assert result["last_confirmation"] == (None if call is None else call.as_json())
        assert result["state_law"] == expected[result["id"]]
    assert answer[0]["last_confirmation"]["outcome"] == "no_answer"
    assert answer[1]["last_confirmation"]["outcome"] == "wait_list"
    assert answer[2]["last_confirmation"]["services_confirmed"] == ["OP"]
    assert answer[0]["state_law"]["status"] == "banned"
    assert answer[0]["state_law"]["local"][0]["kind"] == "ban"
    set_law(engine, state, status="unregulated")  # a review changes the law: shown at once
    again = client.get(near).get_json()["results"]
    assert {r["state_law"]["status"] for r in again if r["address"]["state"] == state} == {
        "unregulated"
    }


def test_a_search_reads_through_one_connection_and_opens_no_session(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search reads through one pooled connection; the API's opens no session.

    A session's setup and teardown around the search were about a tenth of it on PostgreSQL
    (bench/search.py). A session opens only where a view needs the ORM, on the same
    connection.
    """
    from locator.web import session as web_session

    opened: list[object] = []

    class Counted(Session):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            opened.append(args)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(web_session, "Session", Counted)
    checkouts: list[object] = []
    for engine in {app.extensions["engine"], app.extensions["reading_engine"]}:
        event.listen(engine, "checkout", lambda *args: checkouts.append(args))

    def checked_out(path: str) -> int:
        checkouts.clear()
        assert client.get(path).status_code == 200
        return len(checkouts)

    assert checked_out("/api/v1/facilities?near=22903&radius=25") == 1
    assert opened == []
    # Sessions on the search's own connection: the phone calls of the nearest matches beyond
    # an empty radius, then Virginia's city and county rules on the results page.
    assert checked_out("/api/v1/facilities?near=22903&radius=0.01") == 1
    assert checked_out("/search?near=22903&radius=25") == 1
    assert len(opened) == 2
    checked_out("/api/v1/facilities/1")  # a view that is not reads_only keeps its session
    assert len(opened) == 3
