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
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import date
from operator import attrgetter
from typing import IO, Any

from fpdf import FPDF
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from locator.admin.confirmations import LastConfirmation
from locator.errors import N_
from locator.exports.confirmation_text import confirmation_sentence, outcome_words

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

    def phones(self) -> list[str]:
        """Return the phone numbers with what each one is for."""
        labelled = (
            ("Main", self.phone),
            ("Intake", self.intake_phone),
            ("Hotline", self.hotline_phone),
        )
        return [f"{label}: {number}" for label, number in labelled if number]


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


class _Sheet(FPDF):
    """A Letter page with "Page 2 of 5" at the foot, and a quick line breaker.

    fpdf2's multi_cell re-measures the whole line so far at every character (quadratic in
    the line's length): a 500-entry sheet with grouped services took 17 s, nine tenths of
    it in fpdf's line breaking (cProfile, bench/exports.py). Here text is broken at spaces
    with each word's width measured once a sheet (service names repeat on every entry), and
    every line is drawn with a plain cell.
    """

    page_words = "Page %(page)s of %(pages)s"

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._widths: dict[tuple[str, float, str], float] = {}

    def width_of(self, word: str) -> float:
        key = (self.font_style, self.font_size_pt, word)
        found = self._widths.get(key)
        if found is None:
            found = self._widths[key] = self.get_string_width(word)
        return found

    def lines_of(self, text: str) -> list[str]:
        """Break ``text`` into lines that fit between the margins (at spaces)."""
        room = self.epw - 2 * self.c_margin
        if self.width_of(text) <= room:
            return [text]
        space = self.width_of(" ")
        lines: list[str] = []
        line: list[str] = []
        used = 0.0
        for word in text.split(" "):
            width = self.width_of(word)
            if line and used + space + width > room:
                lines.append(" ".join(line))
                line, used = [], 0.0
            if width > room:  # one word longer than a line (a long link): cut it
                lines.extend(self._cut(word, room))
                continue
            used += (space if line else 0.0) + width
            line.append(word)
        if line:
            lines.append(" ".join(line))
        return lines

    def _cut(self, word: str, room: float) -> list[str]:
        pieces, piece = [], ""
        for ch in word:
            if piece and self.get_string_width(piece + ch) > room:
                pieces.append(piece)
                piece = ""
            piece += ch
        return [*pieces, piece] if piece else pieces

    def text_lines(self, text: str, height: float, link: str = "") -> None:
        """Draw ``text`` as lines of ``height``, starting a new page where one is full.

        Plain lines go through ``text()``: a cell costs ten times as much (it builds styled
        fragments and copies the graphics state), and an entry has a dozen lines.
        """
        for line in self.lines_of(text):
            if self.y + height > self.page_break_trigger:
                self.add_page()
            if link:
                self.cell(0, height, line, link=link, new_x="LMARGIN", new_y="NEXT")
                continue
            baseline = self.y + 0.5 * height + 0.3 * self.font_size
            self.text(self.l_margin + self.c_margin, baseline, line)
            self.set_xy(self.l_margin, self.y + height)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        text = self.page_words % {"page": self.page_no(), "pages": "{nb}"}
        self.cell(0, 5, pdf_text(text), align="C")


def pdf_bytes(rows: Iterable[ExportRow], heading: SheetHeading) -> bytes:
    """Return a printable referral sheet: where it came from, crisis lines, one block an entry."""
    _ = heading.gettext
    pdf = _Sheet(format="Letter")
    pdf.page_words = _(N_("Page %(page)s of %(pages)s"))
    pdf.set_auto_page_break(auto=True, margin=16)
    pdf.set_title(pdf_text(heading.title))
    pdf.add_page()
    _pdf_heading(pdf, heading)
    words = _entry_words(heading)
    count = 0
    for row in rows:
        count += 1
        _pdf_entry(pdf, row, words, heading)
    if count == 0:
        _pdf_line(pdf, _(N_("Nothing matched this search.")), size=11)
    if heading.disclaimer:
        pdf.ln(2)
        _pdf_line(pdf, heading.disclaimer, size=8, style="I")
    return bytes(pdf.output())


def _entry_words(heading: SheetHeading) -> dict[str, str]:
    """Translate the words every entry repeats once a sheet."""
    _ = heading.gettext
    return {
        "Main": _(N_("Main")),
        "Intake": _(N_("Intake")),
        "Hotline": _(N_("Hotline")),
        "website": _(N_("Website:")),
        "distance": _(N_("Distance:")),
        "source": _(N_("Source:")),
        "last_seen": _(N_("Last seen:")),
        "unknown": _(N_("unknown")),
        "note": _(N_("Note:")),
        "confirmed": _(N_("Services confirmed:")),
        "inactive": _(N_("No longer listed by the source.")),
    }


def _pdf_line(
    pdf: _Sheet, text: str, *, size: float = 10, style: str = "", height: float = 5
) -> None:
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.text_lines(pdf_text(text), height)


def _pdf_heading(pdf: _Sheet, heading: SheetHeading) -> None:
    _ = heading.gettext
    _pdf_line(pdf, heading.title, size=16, style="B", height=8)
    if heading.came_from:
        _pdf_line(pdf, heading.came_from, size=10)
    if heading.link:
        pdf.set_font("Helvetica", size=8)
        pdf.text_lines(pdf_text(heading.link), 4, link=heading.link)
    prepared = _(N_("Prepared %(date)s.")) % {"date": heading.generated_on.isoformat()}
    _pdf_line(pdf, f"{prepared} {heading.origin}".strip())
    lines = "; ".join(f"{name}: {number}" for name, number in heading.crisis_lines)
    if lines:
        crisis = _(N_("In a crisis: %(lines)s; emergency: 911.")) % {"lines": lines}
        _pdf_line(pdf, crisis, style="B")
    pdf.ln(3)


def _pdf_entry(pdf: _Sheet, row: ExportRow, words: dict[str, str], heading: SheetHeading) -> None:
    title = f"{row.position}. {row.name}" + (f" - {row.name2}" if row.name2 else "")
    _pdf_line(pdf, title, size=12, style="B", height=6)
    for line in _entry_details(row, words, heading.gettext):
        _pdf_line(pdf, line, size=9, height=4.5)
    if row.last_confirmation is not None:
        sentence = confirmation_sentence(
            row.last_confirmation, heading.generated_on, heading.gettext, heading.ngettext
        )
        _pdf_line(pdf, sentence, size=9, style="B", height=4.5)
        if row.services_confirmed:
            _pdf_line(pdf, f"{words['confirmed']} {row.services_confirmed}", size=8, height=4)
    _ = heading.gettext
    for category, names in row.service_groups:
        _pdf_line(pdf, f"{_(category)}: {', '.join(_(n) for n in names)}", size=8, height=3.8)
    seen = row.last_seen.isoformat() if row.last_seen else words["unknown"]
    source = (row.source_note or row.source).rstrip(".")
    _pdf_line(pdf, f"{words['source']} {source}. {words['last_seen']} {seen}.", size=8, height=4)
    if row.note:
        _pdf_line(pdf, f"{words['note']} {row.note}", size=9, style="I", height=4.5)
    pdf.ln(2.5)


def _entry_details(
    row: ExportRow, words: dict[str, str], gettext: Callable[[str], str]
) -> list[str]:
    """Return an entry's plain lines: fellowship and time, address, phones, website, distance."""
    details: list[str] = []
    if row.kind == "meeting":
        details.extend(
            p for p in (gettext(row.fellowship) if row.fellowship else "", row.schedule) if p
        )
    details.extend(row.address_lines())
    phones = [f"{words[label]}: {number}" for label, number in _labelled_phones(row) if number]
    if phones:
        details.append(" · ".join(phones))
    if row.website:
        details.append(f"{words['website']} {row.website}")
    if row.kind == "meeting":
        details.extend(p for p in (row.online_url, row.formats) if p)
    if row.distance is not None:
        details.append(f"{words['distance']} {row.distance:.1f} {row.unit}")
    if not row.active:
        details.append(words["inactive"])
    return details


def _labelled_phones(row: ExportRow) -> tuple[tuple[str, str], ...]:
    return (("Main", row.phone), ("Intake", row.intake_phone), ("Hotline", row.hotline_phone))


_EXTENSION = re.compile(r"^(.*?\d)\s*(?:x|ext\.?|extension)\s*(\d{1,6})\s*$", re.IGNORECASE)


def split_extension(number: str) -> tuple[str, int | None]:
    """Split '434-971-8454 x1' into ('434-971-8454', 1); a number without one is kept whole."""
    found = _EXTENSION.match(number.strip())
    if found is None:
        return number, None
    return found.group(1).strip(), int(found.group(2))
