"""`locator import samhsa --file`: read a saved SAMHSA file and store it in one run.

The file kinds and their parsing live in scrapers/samhsa_files.py (imported here only when a
file is read, so openpyxl loads only for the commands that read workbooks). A file that cannot
be opened is recorded as a failed run before run_import starts (scrapers/runs.py).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine
from sqlmodel import Session

from locator.config import settings_of
from scrapers import samhsa
from scrapers.base import ImportReport, run_import
from scrapers.codebook import store_reference
from scrapers.facility_writer import FacilityWriter
from scrapers.files import FileOptions
from scrapers.runs import failures_recorded

if TYPE_CHECKING:
    from scrapers.samhsa_files import SamhsaFile


def import_file(engine: Engine, path: Path, options: FileOptions) -> ImportReport:
    """Import a saved API answer, a site export or a National Directory workbook.

    Options read: ``vintage`` (codebook vintage of a directory), ``full_refresh`` (the file
    lists every facility) and ``force`` (retire beyond refresh_max_retire_share).
    """
    from scrapers import samhsa_files

    values = options.values
    with failures_recorded(engine, samhsa.SOURCE):
        found = samhsa_files.open_file(path, str(values.get("vintage", "")))
    options.notify(f"Reading {path.name}: {found.describe()}, as source {found.source}.")
    writer = FacilityWriter(
        source=found.source,
        source_note=f"{found.title} (imported from the file {path.name}).",
        source_url=samhsa.SOURCE_URL,
        family=samhsa.SOURCE,
        as_of=found.as_of,
    )
    return run_import(
        engine,
        source=found.source,
        items=samhsa_files.file_items(found),
        writer=writer,
        seen_on=date.today(),
        full_refresh=bool(values.get("full_refresh", False)),
        progress=options.progress,
        prepare=lambda session: _store_codebook(session, found, options),
        max_retire_share=settings_of(options.config).refresh_max_retire_share,
        force=bool(values.get("force", False)),
        input_digest=samhsa_files.input_digest(found),
    )


def _store_codebook(session: Session, found: SamhsaFile, options: FileOptions) -> None:
    if found.reference:
        changed = store_reference(session, found.vintage, found.reference)
        options.notify(
            f"Service Code Reference: {len(found.reference)} codes stored as {found.vintage} "
            f"({changed} added or changed; the vintage keeps every publication's codes)."
        )
