"""One polite HTTP client for every importer: throttle, timeouts, retries, error pages, robots.

- an identifying User-Agent on every request;
- at most one request per ``min_interval`` seconds (per client), and never faster than a
  site's robots.txt Crawl-delay when robots are honoured;
- retries with exponential backoff on timeouts, connection errors, 429 and 5xx, honouring
  Retry-After (seconds or an HTTP date);
- a body that should be JSON but is HTML or plain text (some APIs answer errors with status
  200) or that is cut short is a FetchError, never silently "no rows".
"""

from __future__ import annotations

import email.utils
import json
import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import requests

from locator.config import Settings
from scrapers.base import FetchError

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
# Transport failures worth another try. ChunkedEncodingError is a connection dropped mid-body
# (the headers promised more bytes than came): it is no ConnectionError subclass, and without
# it here a dropped page escaped as a raw exception instead of a retry, then a FetchError.
TRANSIENT_ERRORS = (
    requests.Timeout,
    requests.ConnectionError,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
)


class HttpClient:
    """A throttled, retrying requests.Session for one importer run."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float = 30.0,
        min_interval: float = 1.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        max_backoff: float = 120.0,
        honour_robots: bool = False,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.honour_robots = honour_robots
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = user_agent
        self._sleep = sleep
        self._clock = clock
        self._last_request: float | None = None
        self._robots: dict[str, RobotFileParser | None] = {}
        self.requests_made = 0

    def get(
        self, url: str, params: Mapping[str, Any] | None = None, *, accept: str = "*/*"
    ) -> requests.Response:
        """GET ``url``, retrying what is worth retrying.

        Raises:
            FetchError: robots.txt forbids it, a 4xx answer, or retries ran out.
        """
        if self.honour_robots and not self.allowed(url):
            raise FetchError(f"robots.txt of {urlsplit(url).netloc} does not allow {url}")
        attempt = 0
        while True:
            self._throttle()
            try:
                response = self.session.get(
                    url, params=params, timeout=self.timeout, headers={"Accept": accept}
                )
            except TRANSIENT_ERRORS as exc:
                if attempt >= self.max_retries:
                    raise FetchError(
                        f"{url}: {type(exc).__name__} after {attempt + 1} tries"
                    ) from exc
                self._wait(attempt, None)
                attempt += 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < self.max_retries:
                self._wait(attempt, response.headers.get("Retry-After"))
                attempt += 1
                continue
            if response.status_code >= 400:
                raise FetchError(f"{url} answered HTTP {response.status_code}")
            return response

    def get_json(self, url: str, params: Mapping[str, Any] | None = None) -> Any:
        """GET and decode JSON; an HTML or text body (even with status 200) is a FetchError."""
        response = self.get(url, params, accept="application/json")
        body = response.text
        stripped = body.lstrip()
        if not stripped:
            raise FetchError(f"{url} answered with an empty body")
        if stripped[0] not in "[{":
            kind = "an HTML page" if stripped.startswith("<") else "plain text"
            raise FetchError(
                f"{url} answered with {kind} instead of JSON "
                f"(status {response.status_code}): {stripped[:120]!r}"
            )
        try:
            return json.loads(body)
        except json.JSONDecodeError as exc:
            raise FetchError(f"{url} sent JSON that is cut short or broken: {exc}") from exc

    def get_text(self, url: str, params: Mapping[str, Any] | None = None) -> str:
        """GET and return the body as text."""
        return self.get(url, params, accept="text/html,application/xhtml+xml,*/*").text

    def allowed(self, url: str) -> bool:
        """Tell whether the site's robots.txt lets our User-Agent fetch ``url``."""
        parts = urlsplit(url)
        host = f"{parts.scheme}://{parts.netloc}"
        if host not in self._robots:
            self._robots[host] = self._read_robots(host)
        robots = self._robots[host]
        if robots is None:
            return True
        delay = robots.crawl_delay(self.user_agent)
        if delay is not None:
            self.min_interval = max(self.min_interval, float(delay))
        return robots.can_fetch(self.user_agent, url)

    def _read_robots(self, host: str) -> RobotFileParser | None:
        self._throttle()
        try:
            response = self.session.get(f"{host}/robots.txt", timeout=self.timeout)
        except requests.RequestException as exc:
            raise FetchError(f"{host}/robots.txt could not be read: {exc}") from exc
        if response.status_code in (401, 403):
            raise FetchError(f"{host}/robots.txt answered {response.status_code}: not crawling")
        if response.status_code >= 400:
            return None  # no robots.txt: everything is allowed
        parser = RobotFileParser()
        parser.parse(response.text.splitlines())
        return parser

    def _throttle(self) -> None:
        now = self._clock()
        if self._last_request is not None:
            wait = self._last_request + self.min_interval - now
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()
        self.requests_made += 1

    def _wait(self, attempt: int, retry_after: str | None) -> None:
        delay = min(self.max_backoff, self.backoff * 2**attempt)
        asked = retry_after_seconds(retry_after)
        if asked is not None:
            delay = min(self.max_backoff, max(delay, asked))
        log.info("retrying in %.1fs (attempt %d)", delay, attempt + 1)
        self._sleep(delay)


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """Read a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def client_from_config(
    settings: Settings, *, min_interval: float, honour_robots: bool = False
) -> HttpClient:
    """Build a client with the configured User-Agent, timeout and retries."""
    return HttpClient(
        user_agent=settings.http_user_agent,
        timeout=settings.http_timeout_seconds,
        max_retries=settings.http_max_retries,
        min_interval=min_interval,
        honour_robots=honour_robots,
    )
