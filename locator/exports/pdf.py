"""The printable referral sheet (PDF): where the list came from, crisis lines, one block an entry.

Apart from the other writers: fpdf2 brings numpy with it (~34 MB of private memory a process,
measured), so only a worker that draws a sheet imports it (locator/web/export_responses.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from typing import Any

from fpdf import FPDF

from locator.errors import N_
from locator.exports.confirmation_text import confirmation_sentence
from locator.exports.writers import ExportRow, SheetHeading
from locator.places.geo import at_zip_centre

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
        # The results page's words for a site placed at its ZIP code's centre.
        "about": _(N_("about")),
        "approximate": _(N_("approximate location: the ZIP code area")),
        "in_zip": _(N_("in ZIP code %(zip)s (approximate location)")),
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
    phones = [f"{words[label]}: {number}" for label, number in row.labelled_phones()]
    if phones:
        details.append(" · ".join(phones))
    if row.website:
        details.append(f"{words['website']} {row.website}")
    if row.kind == "meeting":
        details.extend(p for p in (row.online_url, row.formats) if p)
    if row.distance is not None:
        details.append(f"{words['distance']} {_distance_words(row, row.distance, words)}")
    if not row.active:
        details.append(words["inactive"])
    return details


def _distance_words(row: ExportRow, distance: float, words: dict[str, str]) -> str:
    """Write the distance as the results page does (web/results.py ``_distance``): a site
    placed at its ZIP code's centre is "about" so far, or in the ZIP code searched from."""
    if at_zip_centre(distance, row.location_approximate, row.zip):
        return words["in_zip"] % {"zip": row.zip}
    shown = f"{distance:.1f} {row.unit}"
    return (
        f"{words['about']} {shown} ({words['approximate']})" if row.location_approximate else shown
    )
