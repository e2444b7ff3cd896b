"""Helpers for meeting tests: the recorded BMLT/TSML payloads, variants of them, a config."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from locator.config import load_config
from locator.models import Meeting
from tests.conftest import FIXTURES

BMLT = FIXTURES / "feeds" / "bmlt"
TSML = FIXTURES / "feeds" / "meeting_guide" / "aagainesville_3_meetings.json"
SMART = FIXTURES / "feeds" / "smart"


def load(path: Any) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def bmlt_search() -> dict:
    """The recorded GetSearchResults envelope: 53 meetings, 14 formats."""
    return load(BMLT / "meeting-search-42.867970-day2.json")


def full_dump_rows() -> list[dict]:
    """The recorded meetings with the fields a bare (full-dump) query also returns."""
    rows = copy.deepcopy(bmlt_search()["meetings"])
    for row in rows:
        row.update(
            venue_type="1",
            time_zone="America/New_York",
            published="1",
            duration_time="01:00:00",
            service_body_bigint="1",
        )
    return rows


def config(**overrides: Any) -> dict[str, Any]:
    """Settings as the app reads them, with no waiting between requests."""
    values = {
        "meeting_request_interval_seconds": 0.0,
        "http_max_retries": 0,
        "http_timeout_seconds": 1.0,
        **overrides,
    }
    return load_config(values, environ={}, config_file=None)


def meetings(engine: Engine) -> dict[str, Meeting]:
    with Session(engine) as session:
        return {m.source_key: m for m in session.scalars(select(Meeting))}
