"""The embedded meeting sample in data/meetings/: real recorded rows, loaded offline on init.

Two real public recordings, parsed by the same code as live imports so the shipped files
are the payloads themselves (see data/README.md for their origin):

- 53 NA meetings near Geneva, NY from a BMLT server (recorded answer, last changed
  2026-08-04);
- 3 AA meetings of the Gainesville, FL intergroup's TSML feed (recorded 2024-07-12).

They are a **sample**: the source note says so and pages show it next to every listing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from locator.models import Meeting
from locator.paths import DATA_DIR
from scrapers import bmlt, meeting_guide
from scrapers.base import ImportReport, run_import
from scrapers.files import read_json
from scrapers.meeting_import import bmlt_file_items
from scrapers.meetings import MeetingWriter

SAMPLE_DIR = DATA_DIR / "meetings"
BMLT_SAMPLE = SAMPLE_DIR / "bmlt_latest-aws-bmlt-app_2026-08-04_geneva-ny.json"
TSML_SAMPLE = SAMPLE_DIR / "tsml_aagainesville_2024-07-12.json"
TSML_FEED = "https://aagainesville.org/wp-admin/admin-ajax.php?action=meetings"
BMLT_NOTE = (
    "Sample, not current listings: 53 NA meetings near Geneva, NY recorded from the BMLT "
    "server latest.aws.bmlt.app (bmlt-enabled/yap test fixture, 2026-08-04)."
)
TSML_NOTE = (
    "Sample, not current listings: 3 AA meetings from the Gainesville, FL intergroup's "
    "Meeting Guide feed, recorded 2024-07-12 (TomCorwine/events2pdf)."
)


def seed_meetings(engine: Engine, *, only_if_empty: bool = True) -> list[ImportReport]:
    """Load the embedded meeting sample (on a store with no meetings, by default)."""
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(Meeting)) or 0
    if only_if_empty and count:
        return []
    return [
        run_import(
            engine,
            source="bmlt-sample",
            items=bmlt_file_items(BMLT_SAMPLE, ""),
            writer=MeetingWriter(source=bmlt.SOURCE, source_note=BMLT_NOTE),
            seen_on=date(2026, 8, 4),
        ),
        run_import(
            engine,
            source="meeting-guide-sample",
            items=meeting_guide.parse_feed(read_json(TSML_SAMPLE), TSML_FEED, "AA"),
            writer=MeetingWriter(source=meeting_guide.SOURCE, source_note=TSML_NOTE),
            seen_on=date(2024, 7, 12),
        ),
    ]
