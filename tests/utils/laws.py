"""Helpers for kratom-law tests: the constructed source answers, a config, row edits."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

from pytest_httpserver import HTTPServer
from sqlalchemy import Engine
from sqlmodel import Session

from locator.config import load_config
from locator.models import StateLaw
from scrapers.http import HttpClient
from tests.conftest import FIXTURES

KRATOM = FIXTURES / "feeds" / "kratom_law"


def load(name: str) -> Any:
    return json.loads((KRATOM / name).read_text(encoding="utf-8"))


def section(revid: int, wikitext: str | None = None) -> dict[str, Any]:
    """The watched section's parse answer, with another revision id and (maybe) text."""
    answer = copy.deepcopy(load("wikipedia_section_us.json"))
    answer["parse"]["revid"] = revid
    if wikitext is not None:
        answer["parse"]["wikitext"] = wikitext
    return answer


def law_config(server: HTTPServer, **overrides: Any) -> dict[str, Any]:
    """Settings pointing every kratom-law source at the local server; row sources unwatched."""
    values = {
        "law_wikipedia_api_url": server.url_for("/w/api.php"),
        "law_federal_register_url": server.url_for("/api/v1/documents.json"),
        "law_federal_register_terms": ["7-hydroxymitragynine"],
        "law_watch_row_sources": False,
        "law_request_interval_seconds": 0.0,
        "http_max_retries": 0,
        "http_timeout_seconds": 2.0,
        **overrides,
    }
    return load_config(values, environ={}, config_file=None)


def quick_client() -> HttpClient:
    return HttpClient(user_agent="treatment-locator-test/1", min_interval=0.0, max_retries=0)


def serve(
    server: HTTPServer,
    wiki: dict[str, Any],
    federal: dict[str, Any] | None = None,
    pages: dict[str, tuple[str, int]] | None = None,
) -> None:
    """Serve the Wikipedia section list and section, a Federal Register result set and pages.

    Earlier handlers are dropped, so a test can change what a source answers between runs.
    """
    server.clear()
    sections = {"prop": "sections"}
    server.expect_request("/w/api.php", query_string=_with(sections)).respond_with_json(
        load("wikipedia_sections.json")
    )
    server.expect_request("/w/api.php").respond_with_json(wiki)
    server.expect_request("/api/v1/documents.json").respond_with_json(
        federal if federal is not None else load("federal_register_7oh.json")
    )
    for path, (body, status) in (pages or {}).items():
        server.expect_request(path).respond_with_data(body, status=status, content_type="text/html")


def _with(extra: dict[str, str]) -> dict[str, str]:
    base = {"action": "parse", "page": "Kratom", "redirects": "1", "format": "json"}
    return {**base, "formatversion": "2", **extra}


def set_law(engine: Engine, state: str, **fields: Any) -> None:
    with Session(engine) as session:
        law = session.get(StateLaw, state)
        assert law is not None
        for name, value in fields.items():
            setattr(law, name, value)
        session.add(law)
        session.commit()


def get_law(engine: Engine, state: str) -> StateLaw:
    with Session(engine) as session:
        law = session.get(StateLaw, state)
        assert law is not None
        session.expunge(law)
        return law


TODAY = date(2026, 11, 23)
