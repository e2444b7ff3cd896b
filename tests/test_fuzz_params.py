"""Property: no search parameter, however odd, gets a 500.

Hypothesis builds query strings from every parameter the searches read (facility and meeting
searches, the law filter, exports, referral lists), with values that are plausible, nearly
plausible and plain junk, and sends them through the Flask test client to the API and to the
pages. Each answer is a 200, a 404 for a record that does not exist, or a 400 that says what
was wrong: a JSON error body from the API, an HTML page from the site.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import make_app

# Every query parameter a search, filter or export reads (locator/web/params.py,
# meeting_params.py, exports.py, referrals.py, laws.py).
PARAMS = [
    *("near", "lat", "lon", "radius", "unit", "service", "type", "law", "page", "per_page"),
    *("format", "mode", "fellowship", "day", "time", "attendance", "order", "tz"),
    *("l", "n.1", "n.2", "sort", "dir", "state"),
]

PLAUSIBLE = {
    "near": ["22903", "Charlottesville, VA", "Anchorage, AK", "00601", "Narnia", ""],
    "lat": ["38.03", "-90", "90.0001", "51.9", "nan", "inf", "1e309"],
    "lon": ["-78.48", "180", "-180.5", "179.99", "-inf", "0x10"],
    "radius": ["10", "0", "-5", "500", "1e9", "NaN", "25.5"],
    "unit": ["mi", "km", "MI", "furlongs"],
    "service": ["detox", "telehealth,outpatient", "detox,,", "nope"],
    "type": ["SA", "MH", "OTP", "XX"],
    "law": ["banned", "regulated_kcpa,unregulated", "unknown", "legal-ish"],
    "page": ["1", "2", "0", "-1", "99999999999999999999", "1.5"],
    "per_page": ["5", "0", "100", "1000", "x"],
    "format": ["csv", "xlsx", "pdf", "hsds-json", "hsds-zip", "doc"],
    "mode": ["near", "online", "both"],
    "fellowship": ["NA", "AA", "SMART", "??"],
    "day": ["0", "6", "7", "monday", "today", "mon,tue"],
    "time": ["morning", "evening", "19:00", "25:61", "now"],
    "attendance": ["in_person", "online", "hybrid", "sometimes"],
    "order": ["distance", "soon", "random"],
    "tz": ["America/New_York", "Pacific/Honolulu", "Mars/Olympus", "../../etc/passwd"],
    "l": ["1", "1,2,3", "424242", "a,b", ",,,"],
    "sort": ["state", "status", "effective", "bogus"],
    "dir": ["asc", "desc", "sideways"],
    "state": ["VA", "va", "ZZ", "Virginia"],
}

value = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def queries(draw: st.DrawFn) -> list[tuple[str, str]]:
    """Draw a query: a few parameters, each plausible or junk, some given twice."""
    names = draw(st.lists(st.sampled_from(PARAMS), max_size=6))
    query = []
    for name in names:
        choices = PLAUSIBLE.get(name, [])
        if choices and draw(st.booleans()):
            query.append((name, draw(st.sampled_from(choices))))
        else:
            query.append((name, draw(value)))
    return query


API = [
    "/api/v1/facilities",
    "/api/v1/facilities/export",
    "/api/v1/hsds/services",
    "/api/v1/referrals/export",
    "/api/v1/meetings",
    "/api/v1/meetings/1",
    "/api/v1/laws",
    "/api/v1/laws/VA",
    "/api/v1/laws/ZZ",
    "/api/v1/services",
    "/api/v1/coverage",
]
PAGES = [
    "/search",
    "/meetings/",
    "/laws",
    "/laws/VA",
    "/referrals",
    "/export/facilities.csv",
    "/export/facilities.pdf",
    "/referrals/export.xlsx",
]

FUZZ = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)


@pytest.fixture
def fuzz_app(db_url: str) -> Iterator[Flask]:
    app = make_app(db_url, RATELIMIT_ENABLED=False)  # parsing is under test, not the limits
    yield app
    app.extensions["engine"].dispose()


def _assert_api_answer(path: str, query: Any, client: FlaskClient) -> None:
    with client.get(path, query_string=query) as response:
        _check_api_answer(path, query, response)


def _check_api_answer(path: str, query: Any, response: Any) -> None:
    assert response.status_code in (200, 400, 404), (path, query, response.data[:300])
    if response.status_code != 200:
        assert response.mimetype == "application/json", (path, query)
        error = response.get_json()["error"]
        assert error["status"] == response.status_code
        assert isinstance(error["message"], str) and error["message"].strip()


def _assert_page_answer(path: str, query: Any, client: FlaskClient) -> None:
    # Closing the response ends a streamed export's request, and with it its transaction
    # (left open, it would hold a lock the next test's TRUNCATE waits for on PostgreSQL).
    with client.get(path, query_string=query) as response:
        _check_page_answer(path, query, response)


def _check_page_answer(path: str, query: Any, response: Any) -> None:
    assert response.status_code in (200, 400, 404), (path, query, response.data[:300])
    if response.status_code == 400:
        assert response.mimetype == "text/html", (path, query)
        assert b"988" in response.data  # the page still shows the crisis lines


@pytest.mark.parametrize("path", API)
def test_no_api_query_gets_a_500(fuzz_app: Flask, path: str) -> None:
    client = fuzz_app.test_client()

    @FUZZ
    @given(query=queries())
    def check(query: list[tuple[str, str]]) -> None:
        _assert_api_answer(path, query, client)

    check()


@pytest.mark.parametrize("path", PAGES)
def test_no_page_query_gets_a_500(fuzz_app: Flask, path: str) -> None:
    client = fuzz_app.test_client()

    @FUZZ
    @given(query=queries())
    def check(query: list[tuple[str, str]]) -> None:
        _assert_page_answer(path, query, client)

    check()


@FUZZ
@given(segment=st.text(min_size=1, max_size=30).filter(lambda s: "/" not in s))
def test_no_path_segment_gets_a_500(fuzz_app: Flask, segment: str) -> None:
    client = fuzz_app.test_client()
    for template in ("/api/v1/facilities/{}", "/api/v1/laws/{}", "/facilities/{}", "/laws/{}"):
        response = client.get(template.format(segment))
        assert response.status_code in (200, 400, 404), (template, segment)
