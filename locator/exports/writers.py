"""Export writers: CSV, Excel (XLSX) and a printable PDF referral sheet, all fed row by row.

Every writer takes an iterable of ``ExportRow`` and never needs the whole list: CSV yields
bytes every few hundred rows, XLSX uses openpyxl's write-only mode (rows go straight to a
temporary file) and the PDF is a referral sheet, capped like every export by
``export_max_rows``. HSDS (Open Referral) output lives in locator/exports/hsds.py.

Spreadsheet formula injection: a text cell that starts with = + - @ (or their full-width
forms), a tab or a carriage return would be run as a formula by Excel or LibreOffice, so such
text gets a leading apostrophe (OWASP's advice). So does text where one of them follows
leading spaces or quotes, or starts any line of the cell: importers that trim spaces, strip
quotes or split lines would otherwise turn it into a formula. Numbers (coordinates,
distances) stay numbers.
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter
from typing import IO, Any

from fpdf import FPDF
from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
CSV_FLUSH_ROWS = 200
CHUNK_BYTES = 64 * 1024


@dataclass(slots=True)
class ExportRow:
    """One facility or meeting as exported; meeting-only fields stay empty for facilities."""

    position: int
    kind: str  # facility or meeting
    id: int
    name: str
    name2: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    state: str = ""
    zip: str = ""
    county: str = ""
    phone: str = ""
    intake_phone: str = ""
    hotline_phone: str = ""
    website: str = ""
    online_url: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location_approximate: bool = False
    distance: float | None = None
    unit: str = ""
    facility_types: str = ""
    categories: str = ""
    service_codes: str = ""
    service_names: str = ""
    fellowship: str = ""
    schedule: str = ""
    time_zone: str = ""
    attendance: str = ""
    formats: str = ""
    active: bool = True
    source: str = ""
    source_key: str = ""
    source_note: str = ""
    source_url: str = ""
    first_seen: date | None = None
    last_seen: date | None = None
    url: str = ""
    note: str = ""
    # (code, name) of every service, for HSDS; not a column of its own.
    services: tuple[tuple[str, str], ...] = ()

    def address_lines(self) -> list[str]:
        """Return the street line(s) and the 'City, ST ZIP' line, without empty parts."""
        street = ", ".join(p for p in (self.street1, self.street2) if p)
        town = ", ".join(p for p in (self.city, f"{self.state} {self.zip}".strip()) if p)
        return [line for line in (street, town) if line]

    def phones(self) -> list[str]:
        """Return the phone numbers with what each one is for."""
        labelled = (
            ("Main", self.phone),
            ("Intake", self.intake_phone),
            ("Hotline", self.hotline_phone),
        )
        return [f"{label}: {number}" for label, number in labelled if number]


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ExportRow) if f.name != "services")


def safe_cell(value: Any) -> Any:
    """Return a cell value a spreadsheet will show as text, never run as a formula."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if value is None:
        return ""
    if isinstance(value, int | float):
        return round(value, 6) if isinstance(value, float) else value
    text = str(value)
    return "'" + text if is_formula(text) else text


_VALUES = attrgetter(*COLUMNS)
_FORMULA_CHARS = frozenset("".join(FORMULA_STARTS))
_PADDING = " \t\u00a0\u3000\"'"


def is_formula(text: str) -> bool:
    """Tell whether a spreadsheet could read ``text`` as a formula (see the module's note)."""
    if not text:
        return False
    first = text[0]
    if first in _FORMULA_CHARS:
        return True
    # The common case, plain text on one line, ends here: this runs for every text cell.
    if not (first.isspace() or first in _PADDING or "\n" in text or "\r" in text):
        return False
    for line in text.splitlines():
        rest = line.lstrip().lstrip(_PADDING)
        if rest and rest[0] in _FORMULA_CHARS:
            return True
    return False


def row_cells(row: ExportRow) -> list[Any]:
    """Return the row's cells in COLUMNS order, escaped."""
    return [_cell(value) for value in _VALUES(row)]


def _cell(value: Any) -> Any:
    # The common case (plain text) first: this runs once per cell of every export.
    if type(value) is str:
        return "'" + value if is_formula(value) else value
    return safe_cell(value)


_TEXT_INDEXES = tuple(
    i for i, f in enumerate(fields(ExportRow)) if f.name in COLUMNS and f.type == "str"
)
_FLAG_INDEXES = tuple(
    i for i, f in enumerate(fields(ExportRow)) if f.name in COLUMNS and f.type == "bool"
)


def csv_cells(row: ExportRow) -> list[Any]:
    """Return the row's CSV cells: like ``row_cells``, but only text cells are inspected.

    csv.writer already writes None as empty, dates as ISO text and numbers as numbers; this
    runs for every row of every CSV export, so it touches only what needs escaping.
    """
    values = list(_VALUES(row))
    for i in _TEXT_INDEXES:
        value = values[i]
        if is_formula(value):
            values[i] = "'" + value
    for i in _FLAG_INDEXES:
        values[i] = "yes" if values[i] else "no"
    return values


def csv_chunks(rows: Iterable[ExportRow]) -> Iterator[bytes]:
    """Yield a UTF-8 CSV (with a byte-order mark, so Excel reads the accents) in chunks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(COLUMNS)
    for count, row in enumerate(rows, start=1):
        writer.writerow(csv_cells(row))
        if count % CSV_FLUSH_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(rows: Iterable[ExportRow], *, title: str = "Facilities") -> Iterator[bytes]:
    """Yield an Excel workbook written in write-only mode (rows go to disk, not memory)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=title[:31])
    sheet.append(list(COLUMNS))
    for row in rows:
        sheet.append(row_cells(row))
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_BYTES) as handle:
        book.save(handle)
        handle.seek(0)
        yield from file_chunks(handle)


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """Yield a file's bytes in chunks."""
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


# The PDF uses the core Helvetica font (no font file to ship), which covers Latin-1. Common
# typographic characters are mapped to their plain forms; letters outside Latin-1 lose
# their accents (ş -> s) rather than turning into boxes.
_PLAIN = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u2022": "-",
    }
)


def pdf_text(value: str) -> str:
    """Return text the PDF's Latin-1 font can draw."""
    text = value.translate(_PLAIN)
    try:
        text.encode("latin-1")
        return text
    except UnicodeEncodeError:
        pass
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        base = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
        out.append(base or "?")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class SheetHeading:
    """What the top of a referral sheet says."""

    title: str
    generated_on: date
    origin: str = ""  # "Distances from 22903" when there is an origin
    crisis_lines: tuple[tuple[str, str], ...] = ()
    disclaimer: str = ""


def pdf_bytes(rows: Iterable[ExportRow], heading: SheetHeading) -> bytes:
    """Return a printable referral sheet: crisis lines, then one block per entry."""
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(pdf_text(heading.title))
    pdf.add_page()
    _pdf_heading(pdf, heading)
    count = 0
    for row in rows:
        count += 1
        _pdf_entry(pdf, row)
    if count == 0:
        _pdf_line(pdf, "Nothing matched this search.", size=11)
    if heading.disclaimer:
        pdf.ln(2)
        _pdf_line(pdf, heading.disclaimer, size=8, style="I")
    return bytes(pdf.output())


def _pdf_line(
    pdf: FPDF, text: str, *, size: float = 10, style: str = "", height: float = 5
) -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.multi_cell(0, height, pdf_text(text), new_x="LMARGIN", new_y="NEXT")


def _pdf_heading(pdf: FPDF, heading: SheetHeading) -> None:
    _pdf_line(pdf, heading.title, size=16, style="B", height=8)
    _pdf_line(pdf, f"Prepared {heading.generated_on.isoformat()}. {heading.origin}".strip())
    lines = "; ".join(f"{name}: {number}" for name, number in heading.crisis_lines)
    if lines:
        _pdf_line(pdf, f"In a crisis: {lines}; emergency: 911.", style="B")
    pdf.ln(3)


def _pdf_entry(pdf: FPDF, row: ExportRow) -> None:
    title = f"{row.position}. {row.name}" + (f" - {row.name2}" if row.name2 else "")
    _pdf_line(pdf, title, size=12, style="B", height=6)
    details = [*row.address_lines(), *row.phones()]
    if row.kind == "meeting":
        details.extend(p for p in (row.schedule, row.online_url, row.formats) if p)
    elif row.categories:
        details.append(f"Services: {row.categories}")
    if row.distance is not None:
        details.append(f"Distance: {row.distance:.1f} {row.unit}")
    seen = row.last_seen.isoformat() if row.last_seen else "unknown"
    details.append(f"Source: {row.source_note or row.source}. Last seen: {seen}.")
    for line in details:
        _pdf_line(pdf, line, size=9, height=4.5)
    if row.note:
        _pdf_line(pdf, f"Note: {row.note}", size=9, style="I", height=4.5)
    pdf.ln(2.5)
