"""A sweep of bad input: every one gets a 400 with a sentence, nothing gets a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from flask.testing import FlaskClient

BAD = [
    ({}, "near"),
    ({"near": ""}, "near"),
    ({"near": "   "}, "near"),
    ({"near": "Narnia"}, "near"),
    ({"near": "00000"}, "near"),
    ({"near": "x" * 5000}, "near"),
    ({"near": "'; DROP TABLE facility; --"}, "near"),
    ({"near": "<script>alert(1)</script>"}, "near"),
    ({"near": "\u202e\u0000\ufffd🙂"}, "near"),
    ({"near": "Zürich 東京 🙂"}, "near"),
    ({"lat": "91", "lon": "0"}, "lat"),
    ({"lat": "0", "lon": "-181"}, "lon"),
    ({"lat": "abc", "lon": "1"}, "lat"),
    ({"lat": "38.0"}, "lat"),
    ({"lat": "nan", "lon": "nan"}, "lat"),
    ({"near": "22903", "radius": "0"}, "radius"),
    ({"near": "22903", "radius": "-5"}, "radius"),
    ({"near": "22903", "radius": "1e309"}, "radius"),
    ({"near": "22903", "radius": "inf"}, "radius"),
    ({"near": "22903", "radius": "ten"}, "radius"),
    ({"near": "22903", "radius": "5000"}, "radius"),
    ({"near": "22903", "radius": "9" * 400}, "radius"),
    ({"near": "22903", "unit": "furlongs"}, "unit"),
    ({"near": "22903", "service": "heroin"}, "service"),
    ({"near": "22903", "service": "detox' OR 1=1 --"}, "service"),
    ({"near": "22903", "type": "XX"}, "type"),
    ({"near": "22903", "page": "0"}, "page"),
    ({"near": "22903", "page": "-1"}, "page"),
    ({"near": "22903", "page": "1.5"}, "page"),
    ({"near": "22903", "page": "99999999999"}, "page"),
    ({"near": "22903", "per_page": "0"}, "per_page"),
    ({"near": "22903", "per_page": "1000000"}, "per_page"),
    ({"near": "22903", "law": "legal"}, "law"),
    ({"near": "22903", "law": "banned' OR 1=1 --"}, "law"),
    ({"near": "22903", "law": "x" * 5000}, "law"),
]


@pytest.mark.parametrize(("params", "field"), BAD)
def test_bad_api_input_is_a_400_with_a_json_sentence(
    client: FlaskClient, params: dict, field: str
) -> None:
    response = client.get("/api/v1/facilities?" + urlencode(params))
    assert response.status_code == 400, response.data[:300]
    error = response.get_json()["error"]
    assert error["status"] == 400
    assert error["message"].endswith((".", "?"))
    assert error["field"] == field


@pytest.mark.parametrize(("params", "field"), BAD)
def test_bad_page_input_is_a_400_page_with_the_form_and_a_sentence(
    client: FlaskClient, params: dict, field: str
) -> None:
    response = client.get("/search?" + urlencode(params))
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    assert b'role="alert"' in response.data
    assert b"<script>alert(1)</script>" not in response.data
    assert b'name="near"' in response.data


@pytest.mark.parametrize(
    "url",
    [
        "/facilities/abc",
        "/facilities/-1",
        "/facilities/99999999999999999999",
        "/api/v1/facilities/abc",
        "/search/../../etc/passwd",
        "/api/v1/%00",
        "/static/../locator/config.py",
    ],
)
def test_odd_urls_are_404_not_500(client: FlaskClient, url: str) -> None:
    assert client.get(url).status_code == 404


def test_post_to_a_search_is_refused_politely(client: FlaskClient) -> None:
    response = client.post("/api/v1/facilities")
    assert response.status_code == 405
    assert "error" in response.get_json()
