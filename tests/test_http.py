"""The shared HTTP client against a local server: retries, throttle, error pages, robots."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from scrapers.base import FetchError
from scrapers.http import HttpClient, retry_after_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def client(clock: FakeClock, **options: object) -> HttpClient:
    return HttpClient(
        user_agent="locator-tests/1 (+test)", timeout=2, sleep=clock.sleep, clock=clock, **options
    )


def test_sends_an_identifying_user_agent(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data").respond_with_json({"ok": True})
    assert client(FakeClock()).get_json(httpserver.url_for("/data")) == {"ok": True}
    assert httpserver.log[0][0].headers["User-Agent"] == "locator-tests/1 (+test)"


def test_throttles_to_the_minimum_interval(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/data").respond_with_json([])
    clock = FakeClock()
    http = client(clock, min_interval=1.0)
    for _ in range(3):
        http.get_json(httpserver.url_for("/data"))
    assert clock.slept == [1.0, 1.0]


def test_retries_5xx_with_exponential_backoff_then_succeeds(httpserver: HTTPServer) -> None:
    answers = iter([Response("oops", 500), Response("oops", 503), Response(json.dumps([1]), 200)])
    httpserver.expect_request("/flaky").respond_with_handler(lambda request: next(answers))
    clock = FakeClock()
    assert client(clock, min_interval=0, backoff=1.0).get_json(httpserver.url_for("/flaky")) == [1]
    assert clock.slept == [1.0, 2.0]


def test_honours_retry_after_on_429(httpserver: HTTPServer) -> None:
    answers = iter([Response("slow down", 429, headers={"Retry-After": "7"}), Response("[]", 200)])
    httpserver.expect_request("/limited").respond_with_handler(lambda request: next(answers))
    clock = FakeClock()
    client(clock, min_interval=0).get_json(httpserver.url_for("/limited"))
    assert clock.slept == [7.0]


def test_gives_up_after_the_retries_with_a_fetch_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/down").respond_with_data("down", status=502)
    with pytest.raises(FetchError, match="502"):
        client(FakeClock(), min_interval=0, max_retries=2).get(httpserver.url_for("/down"))
    assert [request.path for request, _ in httpserver.log].count("/down") == 3


def test_a_timeout_is_retried_then_fails(httpserver: HTTPServer) -> None:
    def slow(request: Request) -> Response:
        time.sleep(0.5)
        return Response("[]")

    httpserver.expect_request("/slow").respond_with_handler(slow)
    http = HttpClient(
        user_agent="t", timeout=0.1, max_retries=1, min_interval=0, sleep=lambda s: None
    )
    with pytest.raises(FetchError, match="Timeout"):
        http.get(httpserver.url_for("/slow"))
    time.sleep(0.6)  # let the server finish, so its log does not spill into the next test


def test_a_404_is_not_retried(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/missing").respond_with_data("no", status=404)
    with pytest.raises(FetchError, match="404"):
        client(FakeClock(), min_interval=0).get(httpserver.url_for("/missing"))
    assert [request.path for request, _ in httpserver.log].count("/missing") == 1


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<html><body>Service temporarily unavailable</body></html>", "HTML page"),
        ("Invalid search parameters", "plain text"),
        ('{"page": 1, "rows": [{"name1": "Cut', "cut short"),
        ("", "empty body"),
    ],
)
def test_an_error_body_with_status_200_is_a_fetch_error(
    httpserver: HTTPServer, body: str, message: str
) -> None:
    httpserver.expect_request("/api").respond_with_data(
        body, status=200, content_type="application/json"
    )
    with pytest.raises(FetchError, match=message):
        client(FakeClock(), min_interval=0).get_json(httpserver.url_for("/api"))


def test_robots_txt_is_honoured_with_its_crawl_delay(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/robots.txt").respond_with_data(
        "User-agent: *\nDisallow: /private/\nCrawl-delay: 3\n"
    )
    httpserver.expect_request("/public/page").respond_with_data("<p>hi</p>")
    clock = FakeClock()
    http = client(clock, min_interval=2.0, honour_robots=True)
    assert http.get_text(httpserver.url_for("/public/page")) == "<p>hi</p>"
    assert http.min_interval == 3.0
    with pytest.raises(FetchError, match=r"robots\.txt"):
        http.get(httpserver.url_for("/private/x"))


def test_a_missing_robots_txt_allows_everything(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/page").respond_with_data("ok")
    http = client(FakeClock(), min_interval=0, honour_robots=True)
    assert http.get_text(httpserver.url_for("/page")) == "ok"


def test_retry_after_as_an_http_date() -> None:
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=UTC)
    assert retry_after_seconds("Sun, 22 Nov 2026 12:00:30 GMT", now=now) == 30.0
    assert retry_after_seconds("soon") is None
