"""The embedded default is SAMHSA's national directories: what `make run` serves, offline.

One database is set up with `locator init` for the whole module (as `make run` does) and the
tests ask it what a person or a coordinator would.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlmodel import Session, col

from locator.cli import cli
from locator.models import Facility, FacilitySource
from tests.conftest import make_app


@pytest.fixture(scope="module")
def national(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    path: Path = tmp_path_factory.mktemp("national") / "locator.db"
    app = make_app(f"sqlite:///{path}")
    result = app.test_cli_runner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    yield app
    app.extensions["engine"].dispose()


@pytest.fixture
def client(national: Flask) -> FlaskClient:
    return national.test_client()


def test_init_loads_at_least_fifteen_thousand_active_facilities(national: Flask) -> None:
    with Session(national.extensions["engine"]) as session:
        active = session.scalar(
            select(func.count()).select_from(Facility).where(col(Facility.active))
        )
        orphans = session.scalar(
            select(func.count())
            .select_from(Facility)
            .where(~col(Facility.id).in_(select(FacilitySource.facility_id)))
        )
    assert active is not None and active >= 15_000
    assert orphans == 0  # every facility says which source lists it


def test_detox_near_miami_lists_real_programs_nearest_first_with_source_and_date(
    client: FlaskClient,
) -> None:
    response = client.get("/api/v1/facilities?near=Miami, FL&radius=25&service=detox")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert len(results) >= 10
    distances = [item["distance"] for item in results]
    assert distances == sorted(distances)
    for item in results:
        assert "SAMHSA" in item["source"]["note"] and "2022" in item["source"]["note"]
        assert item["source"]["last_seen"] == "2022-05-19"
        assert item["state_law"]["status"]
    assert "Veterans Affairs Miami Medical Ctr" in {item["name"] for item in results}


def test_community_bridges_central_city_lists_detox(client: FlaskClient) -> None:
    response = client.get("/api/v1/facilities?near=85008&radius=2&service=detox")
    found = [
        item
        for item in response.get_json()["results"]
        if item["address"]["street1"] == "2770 East Van Buren Street"
    ]
    assert len(found) == 1
    central = found[0]
    assert central["name"] == "Community Bridges Inc" and "DT" in central["services"]
    assert {"SA", "MH", "OTP"} <= set(central["facility_types"])
    # The 2021 locator export has no row at this address: placed at its ZIP, and says so.
    assert central["location_approximate"] is True


@pytest.mark.parametrize(
    "place", ["10001", "Miami, FL", "60601", "Phoenix, AZ", "99501", "00901", "96813"]
)
def test_treatment_is_found_near_big_cities_and_in_the_territories(
    client: FlaskClient, place: str
) -> None:
    response = client.get(f"/api/v1/facilities?near={place}&radius=25")
    assert response.status_code == 200
    assert response.get_json()["total"] >= 5, place


def test_rural_montana_finds_treatment_within_a_hundred_miles(client: FlaskClient) -> None:
    response = client.get("/api/v1/facilities?near=59001&radius=100")
    assert response.get_json()["total"] >= 1


def test_an_otp_only_listing_says_it_has_no_phone(national: Flask, client: FlaskClient) -> None:
    with Session(national.extensions["engine"]) as session:
        facility = session.scalars(
            select(Facility)
            .join(FacilitySource, col(FacilitySource.facility_id) == col(Facility.id))
            .where(col(FacilitySource.source) == "samhsa-otp-2022", col(Facility.phone) == "")
            .limit(1)
        ).one()
    page = client.get(f"/facilities/{facility.id}").get_data(as_text=True)
    assert "Phone not listed in the source" in page
    assert "SAMHSA Opioid Treatment Program Directory, April 2022" in page


def test_the_home_page_names_each_national_source_once_with_its_date(
    client: FlaskClient,
) -> None:
    page = BeautifulSoup(client.get("/").data, "html.parser")
    coverage = page.select_one("section.coverage").get_text(" ", strip=True)
    assert "It is not national coverage" not in coverage
    for title in (
        "SAMHSA National Directory of Drug and Alcohol Use Treatment Facilities, May 2022",
        "SAMHSA National Directory of Mental Health Treatment Facilities, May 2022",
        "SAMHSA Opioid Treatment Program Directory, April 2022",
    ):
        assert coverage.count(title) == 1, title
    assert "2022-05-19" in coverage and "2022-04-25" in coverage


def test_init_twice_changes_nothing(national: Flask) -> None:
    again = national.test_cli_runner().invoke(cli, ["init"])
    assert again.exit_code == 0 and "already loaded" in again.output


def test_rural_montana_detox_within_25_miles_lists_the_nearest_beyond(
    client: FlaskClient,
) -> None:
    body = client.get("/api/v1/facilities?near=59001&radius=25&service=detox").get_json()
    assert body["total"] == 0 and body["results"] == []
    nearest = body["nearest_outside_radius"]
    assert 1 <= len(nearest) <= 5
    distances = [item["distance"] for item in nearest]
    assert distances == sorted(distances) and distances[0] > 25
    assert all("Detox (medically supervised withdrawal)" in i["categories"] for i in nearest)
    assert body["larger_radius"] is not None and body["larger_radius"] >= distances[0]
    page = BeautifulSoup(
        client.get("/search?near=59001&radius=25&service=detox").data, "html.parser"
    )
    shown = [a.get_text() for a in page.select(".nearest-outside .result h3 a")]
    assert shown == [item["name"] for item in nearest]
    assert "No facility within 25 mi of Absarokee, MT 59001 offers Detox" in page.get_text()
    assert "1-800-662-4357" in page.select_one(".empty-search ul.advice").get_text()


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Miami", "Miami, FL"),
        ("Phoenix", "Phoenix, AZ"),
        ("Anchorage", "Anchorage, AK"),
        ("NYC", "New York, NY"),
        ("LA", "Los Angeles, CA"),
        ("DC", "Washington, DC"),
    ],
)
def test_places_people_type_answer_with_results(client: FlaskClient, text: str, label: str) -> None:
    response = client.get(f"/api/v1/facilities?near={text}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["origin"]["label"] == label and body["total"] > 0


def test_a_row_placed_at_its_zip_says_about_and_approximate(client: FlaskClient) -> None:
    page = BeautifulSoup(
        client.get("/search?near=85008&radius=2&service=detox").data, "html.parser"
    )
    rows = [r for r in page.select("li.result") if "2770 East Van Buren" in r.get_text()]
    assert len(rows) == 1
    distance = rows[0].select_one(".distance").get_text()
    # Placed at the centre of the ZIP searched from: its ZIP, not "about 0.0 mi away".
    assert distance.strip() == "in ZIP code 85008 (approximate location)"
    farther = BeautifulSoup(
        client.get("/search?near=85008&radius=25&service=detox").data, "html.parser"
    )
    lines = [p.get_text().strip() for p in farther.select("li.result .distance")]
    guessed = [line for line in lines if line.startswith("about ")]
    assert guessed and all(
        line.endswith("mi away (approximate location: the ZIP code area)") for line in guessed
    )
    assert not any(line.startswith("about 0.0") for line in lines)


def test_the_printable_sheet_words_an_approximate_site_as_the_results_page_does(
    client: FlaskClient,
) -> None:
    def sheet(query: str) -> str:
        answer = client.get(f"/export/facilities.pdf?{query}")
        assert answer.status_code == 200
        pages = PdfReader(io.BytesIO(answer.data)).pages
        return " ".join(" ".join(page.extract_text() for page in pages).split())

    near = sheet("near=85008&radius=2&service=detox")
    # It once read "Distance: 0.0 mi" for a site whose address was never located.
    assert "2770 East Van Buren" in near
    assert "Distance: in ZIP code 85008 (approximate location)" in near
    assert "Distance: 0.0 mi" not in near
    farther = sheet("near=85008&radius=25&service=detox")
    assert re.search(
        r"Distance: about \d+\.\d mi \(approximate location: the ZIP code area\)", farther
    )


def test_the_referral_list_words_an_approximate_site_as_the_results_page_does(
    client: FlaskClient,
) -> None:
    found = client.get("/api/v1/facilities?near=85008&radius=2&service=detox").get_json()
    site = next(
        r for r in found["results"] if r["address"]["street1"].startswith("2770 East Van Buren")
    )
    assert site["location_approximate"] is True

    def distance(near: str) -> str:
        page = BeautifulSoup(
            client.get(f"/referrals?l=f{site['id']}&near={near}").data, "html.parser"
        )
        return " ".join(page.select_one("li.referral .distance").get_text().split())

    assert distance("85008") == "in ZIP code 85008 (approximate location)"
    assert re.fullmatch(
        r"about \d+\.\d mi away \(approximate location: the ZIP code area\)", distance("85004")
    )


def test_the_referral_list_in_spanish_translates_phone_labels_and_services(
    client: FlaskClient,
) -> None:
    found = client.get("/api/v1/facilities?near=85008&radius=2&service=detox").get_json()
    site = found["results"][0]
    page = BeautifulSoup(client.get(f"/referrals?l=f{site['id']}&lang=es").data, "html.parser")
    entry = page.select_one("li.referral")
    phones = [p.get_text() for p in entry.select(".phone")]
    assert phones and all(
        p.startswith(("Principal: ", "Admisión: ", "Línea de ayuda: ")) for p in phones
    )
    services = entry.select_one(".services").get_text()
    assert "Desintoxicación (abstinencia con supervisión médica)" in services
    assert "medically supervised" not in services
