"""Export writers: CSV and Excel (XLSX), fed row by row, and the rows the PDF sheet draws.

Every writer takes an iterable of ``ExportRow`` and never needs the whole list: CSV yields
bytes every few hundred rows, XLSX uses openpyxl's write-only mode (rows go straight to a
temporary file) and the PDF is a referral sheet (locator/exports/pdf.py), capped like every
export by ``export_max_rows``. HSDS (Open Referral) output lives in locator/exports/hsds.py.

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
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter
from typing import IO, Any

from locator.admin.confirmations import LastConfirmation
from locator.errors import N_
from locator.exports.confirmation_text import outcome_words

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
    # The latest phone confirmation (never who called): its day, outcome and services.
    confirmed_on: date | None = None
    confirmation: str = ""  # the outcome in words, e.g. "wait list, about 14 days"
    services_confirmed: str = ""
    # Not columns of their own: (code, name) of every service, for HSDS; the services
    # grouped by category (name, service names), for the PDF; the confirmation itself.
    services: tuple[tuple[str, str], ...] = ()
    service_groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    last_confirmation: LastConfirmation | None = None

    def address_lines(self) -> list[str]:
        """Return the street line(s) and the 'City, ST ZIP' line, without empty parts."""
        street = ", ".join(p for p in (self.street1, self.street2) if p)
        town = ", ".join(p for p in (self.city, f"{self.state} {self.zip}".strip()) if p)
        return [line for line in (street, town) if line]

    def labelled_phones(self) -> list[tuple[str, str]]:
        """Return (what it is for, number) of each phone number listed, in English: the
        sheet and the referral list translate the labels (messages in exports/pdf.py)."""
        labelled = (
            ("Main", self.phone),
            ("Intake", self.intake_phone),
            ("Hotline", self.hotline_phone),
        )
        return [(label, number) for label, number in labelled if number]


_NOT_COLUMNS = ("services", "service_groups", "last_confirmation")
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(ExportRow) if f.name not in _NOT_COLUMNS)


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


# Sensible widths (in characters) for the columns people read; the rest get DEFAULT_WIDTH.
XLSX_WIDTHS = {
    "position": 5,
    "kind": 9,
    "id": 8,
    "name": 40,
    "name2": 30,
    "street1": 30,
    "city": 18,
    "state": 6,
    "zip": 8,
    "phone": 16,
    "intake_phone": 16,
    "hotline_phone": 16,
    "website": 32,
    "distance": 9,
    "categories": 40,
    "service_names": 50,
    "schedule": 28,
    "source_note": 40,
    "url": 36,
    "note": 40,
    "confirmed_on": 12,
    "confirmation": 28,
    "services_confirmed": 24,
}
DEFAULT_WIDTH = 14
_DATE_INDEXES = tuple(i for i, name in enumerate(COLUMNS) if name.endswith(("_seen", "_on")))


_SHEET_TITLE_BAD = re.compile(r"[\\/?*\[\]:]")  # Excel refuses these in a sheet's name


def _same_plural(one: str, many: str, n: int) -> str:
    return one if n == 1 else many


# The header a person reads in a language other than English (English keeps the column keys,
# the same as the CSV's, so tools that read either find the same names).
COLUMN_LABELS: dict[str, str] = {
    "position": N_("No."),
    "kind": N_("Kind"),
    "id": "id",
    "name": N_("Name"),
    "name2": N_("Program"),
    "street1": N_("Street"),
    "street2": N_("Street, line 2"),
    "city": N_("City"),
    "state": N_("State"),
    "zip": N_("ZIP code"),
    "county": N_("County"),
    "phone": N_("Phone"),
    "intake_phone": N_("Intake"),
    "hotline_phone": N_("Hotline"),
    "website": N_("Website"),
    "online_url": N_("Online link"),
    "latitude": N_("latitude"),
    "longitude": N_("longitude"),
    "location_approximate": N_("Approximate location"),
    "distance": N_("Distance"),
    "unit": N_("Unit"),
    "facility_types": N_("Facility types"),
    "categories": N_("Services"),
    "service_codes": N_("Service codes"),
    "service_names": N_("Service names"),
    "fellowship": N_("Fellowship"),
    "schedule": N_("Schedule"),
    "time_zone": N_("Time zone"),
    "attendance": N_("Attendance"),
    "formats": N_("Formats"),
    "active": N_("Listed"),
    "source": N_("Source"),
    "source_key": N_("Source key"),
    "source_note": N_("Source note"),
    "source_url": N_("Source link"),
    "first_seen": N_("First seen"),
    "last_seen": N_("Last seen"),
    "url": N_("Page"),
    "note": N_("Note"),
    "confirmed_on": N_("Confirmed by phone on"),
    "confirmation": N_("Phone confirmation"),
    "services_confirmed": N_("Services confirmed"),
}


def xlsx_chunks(
    rows: Iterable[ExportRow],
    *,
    title: str = "Facilities",
    gettext: Callable[[str], str] | None = None,
    ngettext: Callable[[str, str, int], str] = _same_plural,
) -> Iterator[bytes]:
    """Yield an Excel workbook written in write-only mode (rows go to disk, not memory).

    The header row is bold, frozen and filtered; phones and ZIP codes are text (a ZIP keeps
    its leading zero), dates are dates. With ``gettext`` (a language other than English) the
    header and the confirmation words are translated.
    """
    # Imported here: openpyxl is ~17 MB of each web worker's private memory (measured), and
    # only an Excel export needs it.
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=_SHEET_TITLE_BAD.sub(" ", title)[:31].strip() or "Sheet")
    names = [gettext(COLUMN_LABELS[n]) for n in COLUMNS] if gettext else list(COLUMNS)
    sheet.freeze_panes = "A2"
    for index, name in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = XLSX_WIDTHS.get(
            name, DEFAULT_WIDTH
        )
    bold = Font(bold=True)
    header = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    confirmation = COLUMNS.index("confirmation")
    for row in rows:
        count += 1
        cells = _xlsx_cells(sheet, row)
        if gettext and row.last_confirmation is not None:
            cells[confirmation] = outcome_words(row.last_confirmation, gettext, ngettext)
        sheet.append(cells)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{count + 1}"
    with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_BYTES) as handle:
        book.save(handle)
        handle.seek(0)
        yield from file_chunks(handle)


def _xlsx_cells(sheet: Any, row: ExportRow) -> list[Any]:
    """Return the row's cells: text escaped and kept as text (a ZIP keeps its leading zero,
    a phone is never a number), dates as dates (openpyxl gives them a date format)."""
    cells = row_cells(row)
    values = _VALUES(row)
    for i in _DATE_INDEXES:
        cells[i] = values[i]
    return cells


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """Yield a file's bytes in chunks."""
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


def _same(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class SheetHeading:
    """What the top of a referral sheet says, and the language it is written in."""

    title: str
    generated_on: date
    origin: str = ""  # "Distances from 22903" when there is an origin
    crisis_lines: tuple[tuple[str, str], ...] = ()
    disclaimer: str = ""
    came_from: str = ""  # the search or list the sheet was made from, in words
    link: str = ""  # ... and its address, to open it again
    gettext: Callable[[str], str] = _same
    ngettext: Callable[[str, str, int], str] = _same_plural


_EXTENSION = re.compile(r"^(.*?\d)\s*(?:x|ext\.?|extension)\s*(\d{1,6})\s*$", re.IGNORECASE)


def split_extension(number: str) -> tuple[str, int | None]:
    """Split '434-971-8454 x1' into ('434-971-8454', 1); a number without one is kept whole."""
    found = _EXTENSION.match(number.strip())
    if found is None:
        return number, None
    return found.group(1).strip(), int(found.group(2))
