"""Every source the importers know, declared once: what it is, how it is read, when it runs.

A source is one module (or a few: parse, file import, live import) and one ``Source`` line in
SOURCES. From that line:

- ``locator import <name>`` offers ``--file`` when ``file`` is set and ``--live`` when ``live``
  is set (scrapers/cli.py; a source whose command needs options of its own has a hand-written
  command there that still runs through the same helpers);
- ``locator scheduler`` runs ``scheduled`` on the cron line of the ``schedule`` setting (empty
  = off), under the database lock named ``job`` (scrapers/scheduler.py, scrapers/locks.py),
  the same lock a manual ``--live`` run takes.

The callables are plain functions of the source modules; each one records its own failures
before run_import starts (scrapers/runs.py), so a scheduled run and a manual one leave the
same trail on /admin/imports.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from scrapers import kratom_law, meeting_import, samhsa_api, samhsa_import
from scrapers.base import ImportReport
from scrapers.files import FileOptions

FileImport = Callable[[Engine, Path, FileOptions], ImportReport]
LiveImport = Callable[[Engine, Mapping[str, Any], Callable[[str], None]], ImportReport]
ScheduledRun = Callable[[Engine, Mapping[str, Any]], Any]


@dataclass(frozen=True, slots=True)
class Source:
    """One source: its command name, what it imports, and how it is read and scheduled.

    Attributes:
        name: the ``locator import`` command (and the scheduler job's name).
        description: one line, shown as the command's help.
        file: imports a saved file ``(engine, path, options)``; None = no ``--file``.
        live: fetches and imports ``(engine, config, notify)``; None = no ``--live``.
        schedule: the setting holding the cron line (e.g. "SCHEDULE_SAMHSA"); None = never.
        job: the lock a scheduled or manual live run holds, so the two never overlap.
        scheduled: what the scheduler runs ``(engine, config)``.
    """

    name: str
    description: str
    file: FileImport | None
    live: LiveImport | None
    schedule: str | None
    job: str
    scheduled: ScheduledRun | None


SOURCES: tuple[Source, ...] = (
    Source(
        name="samhsa",
        description=(
            "Import FindTreatment.gov facilities from a file or, with --live, from the API."
        ),
        file=samhsa_import.import_file,
        live=samhsa_api.import_configured_states,
        schedule="SCHEDULE_SAMHSA",
        job="samhsa",
        scheduled=samhsa_api.scheduled_samhsa,
    ),
    Source(
        name="bmlt",
        description="Import Narcotics Anonymous meetings from BMLT root servers.",
        file=meeting_import.bmlt_file,
        live=meeting_import.import_bmlt_live,
        schedule="SCHEDULE_BMLT",
        job="bmlt",
        scheduled=meeting_import.scheduled_bmlt,
    ),
    Source(
        name="meeting-guide",
        description="Import Meeting Guide JSON feeds (AA intergroups, Recovery Dharma, ...).",
        file=meeting_import.meeting_guide_file,
        live=meeting_import.import_meeting_guide_live,
        schedule="SCHEDULE_MEETING_GUIDE",
        job="meeting-guide",
        scheduled=meeting_import.scheduled_meeting_guide,
    ),
    Source(
        name="smart",
        description=(
            "Import SMART Recovery meetings: an operator's CSV, or the public pages (if enabled)."
        ),
        file=meeting_import.smart_file,
        live=meeting_import.import_smart_live,
        schedule="SCHEDULE_SMART",
        job="smart",
        scheduled=meeting_import.scheduled_smart,
    ),
    # Law checks queue proposals for review rather than importing rows: `locator laws check`
    # runs one by hand (scrapers/law_cli.py), under the same lock.
    Source(
        name="laws",
        description=(
            "Check the watched kratom-law sources for change and queue proposals for review."
        ),
        file=None,
        live=None,
        schedule="SCHEDULE_LAWS",
        job="laws",
        scheduled=kratom_law.scheduled_laws,
    ),
)

_BY_NAME = {s.name: s for s in SOURCES}


def source(name: str) -> Source:
    """Return the source called ``name``.

    Raises:
        KeyError: no source has that name (the message lists the ones there are).
    """
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"No source {name!r}; sources: {', '.join(_BY_NAME)}") from None
