"""Helpers for meeting tests: the recorded BMLT/TSML payloads, variants of them, a config."""

from __future__ import annotations

import copy
import json
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from locator.config import Settings
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


def config(**overrides: Any) -> Settings:
    """Settings as the app reads them, with no waiting between requests."""
    values = {
        "meeting_request_interval_seconds": 0.0,
        "http_max_retries": 0,
        "http_timeout_seconds": 1.0,
        **overrides,
    }
    return Settings.from_mapping(values)


def meetings(engine: Engine) -> dict[str, Meeting]:
    with Session(engine) as session:
        return {m.source_key: m for m in session.scalars(select(Meeting))}


def meeting(
    key: str,
    *,
    weekday: int = 1,
    start: str = "19:00",
    zone: str = "America/New_York",
    attendance: str = "in_person",
    lat: float | None = 38.03,
    lon: float | None = -78.48,
    fellowship: str = "NA",
    formats: tuple[str, ...] = (),
    url: str = "",
) -> Any:
    """A test meeting (its name says so; it exists only in one test's database)."""
    from datetime import time

    from scrapers.meetings import MeetingRecord

    online = attendance in ("online", "hybrid")
    return MeetingRecord(
        key=key,
        fellowship=fellowship,
        name=f"Test meeting {key}",
        weekday=weekday,
        start_time=time.fromisoformat(start),
        source_url="https://test.invalid/feed",
        time_zone=zone,
        attendance=attendance,
        street="" if attendance == "online" else "1 Test Street",
        city="" if attendance == "online" else "Testville",
        latitude=None if attendance == "online" else lat,
        longitude=None if attendance == "online" else lon,
        online_url=url or ("https://test.invalid/join/" + key if online else ""),
        formats=formats,
    )


def add_meetings(engine: Engine, *records: Any) -> None:
    """Store test meetings through the real import pipeline."""
    from datetime import date

    from scrapers.base import run_import
    from scrapers.meetings import MeetingWriter

    run_import(
        engine,
        source="test",
        items=list(records),
        writer=MeetingWriter(source="test", source_note="Test rows."),
        seen_on=date(2026, 11, 1),
    )
