"""Offline geocoding of ZIPs, cities and states; the optional online geocoder and its cache."""

from __future__ import annotations

import json

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine
from sqlmodel import Session

from locator.config import Settings
from locator.errors import BadQueryError, GeocoderUnavailableError, UnknownPlaceError
from locator.models import GeocodeCache
from locator.places.geo import Point, haversine_km
from locator.places.geocoder import Geocoder, online_lookup


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder()


def test_zip_code_is_its_centroid(geocoder: Geocoder) -> None:
    place = geocoder.locate("22903")
    assert place.kind == "zip" and place.state == "VA"
    assert haversine_km(place.point, Point(38.0339, -78.4924)) < 0.1


def test_zip_plus_four_uses_the_five_digit_zip(geocoder: Geocoder) -> None:
    assert geocoder.locate("22903-1234").point == geocoder.locate("22903").point


@pytest.mark.parametrize(
    "text",
    [
        "Charlottesville, VA",
        "Charlottesville VA",
        "charlottesville, virginia",
        " Charlottesville ,  Va ",
    ],
)
def test_city_and_state_in_any_spelling(geocoder: Geocoder, text: str) -> None:
    place = geocoder.locate(text)
    assert place.kind == "city" and place.label == "Charlottesville, VA"
    assert haversine_km(place.point, Point(38.03, -78.48)) < 15


def test_saint_abbreviation_and_accents_match(geocoder: Geocoder) -> None:
    assert geocoder.locate("St. Louis, MO").label == "Saint Louis, MO"
    assert geocoder.locate("Añasco, Puerto Rico").state == "PR"


def test_state_name_and_code_give_the_state(geocoder: Geocoder) -> None:
    for text in ("Alaska", "alaska", "AK"):
        place = geocoder.locate(text)
        assert place.kind == "state" and place.state == "AK"


def test_territories_are_places(geocoder: Geocoder) -> None:
    assert geocoder.locate("San Juan, PR").state == "PR"
    assert geocoder.locate("Honolulu, HI").state == "HI"
    assert geocoder.locate("96910").state == "GU"


def test_a_unique_city_name_needs_no_state(geocoder: Geocoder) -> None:
    assert geocoder.locate("Tuscaloosa").label == "Tuscaloosa, AL"


@pytest.mark.parametrize(
    ("text", "label", "other"),
    [
        ("Miami", "Miami, FL", "Miami, OK"),
        ("Phoenix", "Phoenix, AZ", "Phoenix, OR"),
        ("Anchorage", "Anchorage, AK", "Anchorage, KY"),
        ("Charlottesville", "Charlottesville, VA", "Charlottesville, IN"),
        ("springfield", "Springfield, IL", "Springfield, MO"),
    ],
)
def test_a_one_word_city_is_the_biggest_of_its_name_and_says_so(
    geocoder: Geocoder, text: str, label: str, other: str
) -> None:
    place = geocoder.locate(text)
    assert place.kind == "city" and place.label == label
    assert label in place.note and "biggest of several places" in place.note
    assert other in place.others and label not in place.others


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("NYC", "New York, NY"),
        ("new york city", "New York, NY"),
        ("LA", "Los Angeles, CA"),
        ("L.A.", "Los Angeles, CA"),
        ("DC", "Washington, DC"),
        ("Washington, D.C.", "Washington, DC"),
        ("Philly", "Philadelphia, PA"),
    ],
)
def test_common_short_names_of_big_cities(geocoder: Geocoder, text: str, label: str) -> None:
    place = geocoder.locate(text)
    assert place.kind == "city" and place.label == label


def test_la_offers_louisiana_as_the_other_meaning(geocoder: Geocoder) -> None:
    assert geocoder.locate("LA").others == ("Louisiana",)
    assert geocoder.locate("Louisiana").kind == "state"


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Charlottesvile VA", "Charlottesville, VA"),
        ("Charlotesville, VA", "Charlottesville, VA"),
        ("Phonix", "Phoenix, AZ"),
        ("Miamy", "Miami, FL"),
    ],
)
def test_typo_suggestions_rank_by_similarity_and_size(
    geocoder: Geocoder, text: str, first: str
) -> None:
    with pytest.raises(UnknownPlaceError) as caught:
        geocoder.locate(text)
    assert caught.value.suggestions[0] == first
    assert not {"Dulles, VA", "Aldie, VA"} & set(caught.value.suggestions)


@pytest.mark.parametrize("text", ["Zürich 東京 🙂", "help me please", "🙂", "asdfghjkl"])
def test_text_with_no_place_in_it_gets_examples(geocoder: Geocoder, text: str) -> None:
    with pytest.raises(UnknownPlaceError) as caught:
        geocoder.locate(text)
    assert caught.value.suggestions == []
    assert "We couldn't find that place" in str(caught.value)
    assert "Several places" not in str(caught.value)


def test_a_misspelled_city_gets_close_suggestions(geocoder: Geocoder) -> None:
    with pytest.raises(UnknownPlaceError) as caught:
        geocoder.locate("Charlotesville, VA")
    assert "Charlottesville, VA" in caught.value.suggestions
    assert "Did you mean" in str(caught.value)


def test_a_zip_the_package_gives_as_zero_zero_is_unknown(geocoder: Geocoder) -> None:
    # 96917 (Guam) and APO 09001 are listed at 0,0 in the zipcodes package.
    for code in ("96917", "09001"):
        with pytest.raises(UnknownPlaceError):
            geocoder.locate(code)


@pytest.mark.parametrize(
    "text", ["00000", "Narnia", "'; DROP TABLE facility; --", "<script>x</script>", "🙂🙂"]
)
def test_unknown_places_are_an_error_with_a_message_not_a_guess(
    geocoder: Geocoder, text: str
) -> None:
    with pytest.raises(UnknownPlaceError) as caught:
        geocoder.locate(text)
    assert "couldn't find" in str(caught.value)


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
def test_empty_or_huge_input_is_a_bad_query(geocoder: Geocoder, text: str) -> None:
    with pytest.raises(BadQueryError):
        geocoder.locate(text)


def test_coordinates_typed_as_text_are_a_place(geocoder: Geocoder) -> None:
    assert geocoder.locate("38.03, -78.47").kind == "coordinates"
    with pytest.raises(BadQueryError):
        geocoder.locate("138.03, -78.47")


def test_a_street_address_offline_uses_the_city_centre_and_says_so(geocoder: Geocoder) -> None:
    place = geocoder.locate("800 Preston Avenue, Charlottesville, VA")
    assert place.label == "Charlottesville, VA"
    assert "not looked up" in place.note


NOMINATIM_ANSWER = [
    {
        "place_id": 1,
        "lat": "38.0364492",
        "lon": "-78.4888244",
        "display_name": "800, Preston Avenue, Charlottesville, Virginia, 22903, United States",
        "boundingbox": ["38.03", "38.04", "-78.49", "-78.48"],
    }
]


def _online(httpserver: HTTPServer) -> Geocoder:
    config = {
        "GEOCODER": "nominatim",
        "GEOCODER_USER_AGENT": "locator-tests",
        "GEOCODER_TIMEOUT_SECONDS": 2.0,
        "GEOCODER_SCHEME": "http",
        "GEOCODER_DOMAIN": f"{httpserver.host}:{httpserver.port}",
        "GEOCODER_MIN_DELAY_SECONDS": 0.0,
    }
    return Geocoder(online=online_lookup(Settings.from_mapping(config)), provider="nominatim")


def test_online_geocoder_finds_an_address_and_caches_it(
    httpserver: HTTPServer, empty_engine: Engine
) -> None:
    httpserver.expect_request("/search").respond_with_data(
        json.dumps(NOMINATIM_ANSWER), content_type="application/json"
    )
    geocoder = _online(httpserver)
    with Session(empty_engine) as session:
        place = geocoder.locate("800 Preston Avenue, Charlottesville, VA 22903x", session=session)
        assert place.kind == "address"
        assert place.point == Point(38.0364492, -78.4888244)
        again = geocoder.locate("800 preston avenue, charlottesville, va 22903x", session=session)
        assert again.point == place.point
        assert session.get(GeocodeCache, "800 preston avenue charlottesville va 22903x") is not None
    assert len(httpserver.log) == 1  # the second lookup came from the cache
    assert httpserver.log[0][0].headers["User-Agent"] == "locator-tests"


def test_online_geocoder_that_finds_nothing_gives_unknown_place(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search").respond_with_data("[]", content_type="application/json")
    with pytest.raises(UnknownPlaceError):
        _online(httpserver).locate("1 Nowhere Road, Atlantis")


def test_online_geocoder_failure_is_a_clear_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/search").respond_with_data("busy", status=503)
    with pytest.raises(GeocoderUnavailableError):
        _online(httpserver).locate("1 Nowhere Road, Atlantis")


def test_offline_places_never_reach_the_online_geocoder(httpserver: HTTPServer) -> None:
    assert _online(httpserver).locate("22903").kind == "zip"
    assert httpserver.log == []


def test_the_gazetteer_read_in_parts_is_the_one_read_whole() -> None:
    """embedded_gazetteer reads the package by first digit (memory); nothing may differ."""
    import zipcodes

    from locator.places.gazetteer import Gazetteer, embedded_gazetteer

    parts = embedded_gazetteer()
    whole = Gazetteer(zipcodes.list_all())  # type: ignore[no-untyped-call]
    assert list(parts._zips.items()) == list(whole._zips.items())
    assert len(parts._zips) > 40_000
    assert list(parts._cities.items()) == list(whole._cities.items())
    assert parts._by_city_name == whole._by_city_name
    assert parts._states == whole._states
