"""Reading SAMHSA's CSV and XLSX files row by row: headers by name, short rows marked.

Rows are read one at a time (csv module, openpyxl read-only mode), never as a whole list; a
workbook's sheet names and date are read from its archive without loading it (each full load
parses the whole shared-string table).
"""

from __future__ import annotations

import csv
import html
import re
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from locator.text import clean
from scrapers.errors import FeedSchemaError
from scrapers.files import TEXT_ENCODING, utf8_errors

HEADER_SCAN_ROWS = 10
_CORE = "docProps/core.xml"
# <sheet name="Facilities List" sheetId="1" .../> in xl/workbook.xml (any namespace prefix)
_SHEET_NAME = re.compile(rb'<(?:\w+:)?sheet\b[^>]*?\bname="([^"]*)"')
# Marks a CSV row with fewer values than the header (see _csv_row); no header is named so.
SHORT_ROW = "\x00short row"


def workbook_outline(path: Path) -> tuple[set[str], Any]:
    """Return a workbook's sheet names (folded) and its modified date, without loading it.

    Raises:
        FeedSchemaError: the file is cut short, corrupt or not a workbook at all.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            book = archive.read("xl/workbook.xml")
            core = archive.read("docProps/core.xml") if _CORE in archive.namelist() else b""
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FeedSchemaError(
            f"{path.name} is not a readable XLSX workbook (cut short or corrupt: {exc})."
        ) from exc
    names = _SHEET_NAME.findall(book)
    sheets = {clean(html.unescape(name.decode("utf-8", "replace"))).lower() for name in names}
    found = re.search(rb"<dcterms:modified[^>]*>([^<]+)<", core)
    return sheets, found.group(1).decode("ascii", "replace")[:10] if found else None


def read_rows(path: Path, sheet: str | None = None) -> Iterator[dict[str, Any]]:
    """Yield the rows of a CSV file or of one XLSX sheet as dicts keyed by normalised header."""
    if path.suffix.lower() == ".csv":
        with utf8_errors(path), path.open(encoding=TEXT_ENCODING, newline="") as handle:
            reader = csv.reader(handle)
            header = normalise(next(reader, []))
            for values in reader:
                if "".join(values).strip():
                    yield csv_row(header, values)
        return
    workbook = open_workbook(path)
    try:
        names = {name.strip().lower(): name for name in workbook.sheetnames}
        found = workbook[names[sheet]] if sheet else export_sheet(workbook)
        yield from sheet_dicts(found, ("name1",))
    finally:
        workbook.close()


def csv_row(header: list[str], values: list[str]) -> dict[str, Any]:
    """Pair a CSV row with the header; a row with fewer values than the header is marked.

    A file cut short ends in such a row, and reading its missing flag columns as "no" would
    strip services from a facility that still offers them.
    """
    row: dict[str, Any] = dict(zip(header, values, strict=False))
    if len(values) < len(header):
        row = {name: None for name in header} | row
        row[SHORT_ROW] = f"{len(values)} of the {len(header)} columns"
    return row


def open_workbook(path: Path) -> Any:
    """Open an XLSX workbook read-only.

    Raises:
        FeedSchemaError: the file is cut short, corrupt or not a workbook at all.
    """
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as exc:
        raise FeedSchemaError(
            f"{path.name} is not a readable XLSX workbook (cut short or corrupt: {exc})."
        ) from exc


def export_sheet(workbook: Any) -> Any:
    for sheet in workbook.worksheets:
        for values in sheet.iter_rows(max_row=HEADER_SCAN_ROWS, values_only=True):
            if {"name1", "latitude"} <= set(normalise(values)):
                return sheet
    raise FeedSchemaError("No sheet of this workbook has the name1 … latitude export columns.")


def sheet_dicts(sheet: Any, required: Iterable[str]) -> Iterator[dict[str, Any]]:
    header: list[str] | None = None
    for values in sheet.iter_rows(values_only=True):
        if header is None:
            normalised = normalise(values)
            if set(required) <= set(normalised):
                header = normalised
            continue
        if any(v not in (None, "") for v in values):
            yield dict(zip(header, values, strict=False))
    if header is None:
        raise FeedSchemaError(
            f"Sheet {sheet.title!r} has no header row with the columns {sorted(required)}."
        )


def normalise(values: Iterable[Any]) -> list[str]:
    return [clean(v).lower() for v in values]
