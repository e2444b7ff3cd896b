"""Build, update, check and compile the translation catalogs (``locator translations``).

The template (POT) is built with Babel's own extractors from what babel.cfg maps (Python
and Jinja sources) plus the labels that live as data: service categories and their help,
facility types, fellowships, meeting formats and times, guide pages and crisis lines. So a
new category or guide page is in the catalog without anyone remembering to mark it.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from locator.admin.problem_reports import PROBLEMS
from locator.facilities.guide import TOPICS
from locator.facilities.taxonomy import CATEGORIES, FACILITY_TYPES, GROUPS
from locator.laws.status import CONFIDENCE, COVERS, LOCAL_KINDS, SEVEN_OH_RULES, STATUS_INFO
from locator.laws.table import SORTS
from locator.meetings.times import TIMES_OF_DAY, WEEKDAYS
from locator.meetings.types import ATTENDANCE_LABELS, FELLOWSHIPS, FORMAT_FILTERS
from locator.notices import API_DISCLAIMER, CRISIS_LINES, EXPORT_NOTICE, LAW_DISCLAIMER
from locator.paths import DATA_DIR, PACKAGE_DIR, PROJECT_DIR

BABEL_CFG = PROJECT_DIR / "babel.cfg"
TRANSLATIONS_DIR = PACKAGE_DIR / "translations"
POT_FILE = TRANSLATIONS_DIR / "messages.pot"
DOMAIN = "messages"
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdfr]|%[sdfr]")


def po_path(locale: str) -> Path:
    """Return the .po file of one language."""
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def mo_path(locale: str) -> Path:
    """Return the compiled .mo file of one language."""
    return po_path(locale).with_suffix(".mo")


def locales() -> list[str]:
    """Return the languages that have a catalog, e.g. ["es"]."""
    return sorted(p.parent.parent.name for p in TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def data_messages() -> Iterator[tuple[str, str]]:
    """Yield (message, where) for every label people read that lives in a data table."""

    yield from ((g.label, "locator/facilities/taxonomy.py:GROUPS") for g in GROUPS)
    for c in CATEGORIES:
        yield c.label, f"locator/facilities/taxonomy.py:{c.key}"
        if c.help:
            yield c.help, f"locator/facilities/taxonomy.py:{c.key}"
    yield from (
        (name, "locator/facilities/taxonomy.py:FACILITY_TYPES") for name in FACILITY_TYPES.values()
    )
    yield from ((name, "locator/meetings/types.py:FELLOWSHIPS") for name in FELLOWSHIPS.values())
    yield from (
        (name, "locator/meetings/types.py:ATTENDANCE") for name in ATTENDANCE_LABELS.values()
    )
    yield from ((f.label, "locator/meetings/types.py:FORMAT_FILTERS") for f in FORMAT_FILTERS)
    for day in WEEKDAYS:
        # "Tuesdays 7:00 pm" heads a weekly meeting; the plural is its own message.
        yield day, "locator/meetings/times.py:WEEKDAYS"
        yield day + "s", "locator/meetings/times.py:WEEKDAYS"
    yield from (
        (spec[0], "locator/meetings/times.py:TIMES_OF_DAY") for spec in TIMES_OF_DAY.values()
    )
    for topic in TOPICS:
        yield topic.title, f"locator/facilities/guide.py:{topic.slug}"
        yield topic.summary, f"locator/facilities/guide.py:{topic.slug}"
        yield from (
            (link.label, f"locator/facilities/guide.py:{topic.slug}") for link in topic.searches
        )
    for line in CRISIS_LINES:
        yield line["name"], "locator/notices.py:CRISIS_LINES"
        yield line["note"], "locator/notices.py:CRISIS_LINES"
    yield API_DISCLAIMER, "locator/notices.py:API_DISCLAIMER"
    yield EXPORT_NOTICE, "locator/notices.py:EXPORT_NOTICE"
    yield LAW_DISCLAIMER, "locator/notices.py:LAW_DISCLAIMER"
    yield from law_messages()
    yield from codebook_messages()


def law_messages() -> Iterator[tuple[str, str]]:
    """Yield the kratom-law words the law pages and badges show, and the report form's."""

    for info in STATUS_INFO.values():
        yield from (
            (text, "locator/laws/status.py:STATUS_INFO")
            for text in (info.label, info.badge, info.meaning)
        )
    for table, name in (
        (CONFIDENCE, "CONFIDENCE"),
        (COVERS, "COVERS"),
        (SEVEN_OH_RULES, "SEVEN_OH_RULES"),
        (LOCAL_KINDS, "LOCAL_KINDS"),
    ):
        yield from ((text, f"locator/laws/status.py:{name}") for text in table.values() if text)
    yield from ((sort.label, "locator/views/laws.py:SORTS") for sort in SORTS.values())
    yield from ((text, "locator/admin/problem_reports.py:PROBLEMS") for text in PROBLEMS.values())


def codebook_messages() -> Iterator[tuple[str, str]]:
    """Yield the SAMHSA codebooks' category and service names (a facility page's services)."""
    for path in sorted((DATA_DIR / "samhsa").glob("service_codes_*.csv")):
        where = f"data/samhsa/{path.name}"
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                yield row["category_name"], where
                yield row["service_name"], where


def extract() -> Catalog:
    """Return the catalog template: every message in the sources and the data tables."""
    catalog = Catalog(project="treatment-locator", fuzzy=False)
    with BABEL_CFG.open(encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(BABEL_CFG))  # type: ignore[no-untyped-call]
    found = extract_from_dir(
        str(PROJECT_DIR), method_map, options_map, keywords=KEYWORDS, comment_tags=("NOTE:",)
    )
    for filename, lineno, message, comments, context in found:
        catalog.add(
            message,
            None,
            [(filename, lineno)],
            auto_comments=comments,
            context=context,
            flags=_flags(message),
        )
    for text, where in data_messages():
        file, _, name = where.partition(":")
        existing = catalog.get(text)
        if existing is None:
            catalog.add(
                text, None, [(file, 0)], auto_comments=[f"data: {name}"], flags=_flags(text)
            )
    return catalog


def _flags(message: str | tuple[str, ...]) -> tuple[str, ...]:
    texts = (message,) if isinstance(message, str) else message
    return ("python-format",) if any(PLACEHOLDER.search(t) for t in texts) else ()


def write_template(catalog: Catalog, path: Path = POT_FILE) -> None:
    """Write the catalog template (POT) for translators' tools."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True)


def read_catalog(locale: str) -> Catalog:
    """Read one language's .po file."""
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def update(locale: str, template: Catalog) -> Catalog:
    """Merge the template into a language's catalog (new messages arrive untranslated)."""
    path = po_path(locale)
    if path.exists():
        catalog = read_catalog(locale)
    else:
        catalog = Catalog(locale=locale, project="treatment-locator", fuzzy=False)
    catalog.update(template, no_fuzzy_matching=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=100, sort_output=True, ignore_obsolete=True)
    return catalog


def compile_catalog(locale: str) -> Path:
    """Compile a language's .po into the .mo that Flask-Babel reads."""
    catalog = read_catalog(locale)
    with mo_path(locale).open("wb") as handle:
        write_mo(handle, catalog)
    return mo_path(locale)


@dataclass(frozen=True, slots=True)
class Problem:
    """One message a catalog does not translate properly."""

    msgid: str
    reason: str

    def __str__(self) -> str:
        return f"{self.reason}: {self.msgid[:80]!r}"


def problems(template: Catalog, catalog: Catalog) -> list[Problem]:
    """Return every message missing, untranslated, fuzzy or with other placeholders."""
    found: list[Problem] = []
    for message in template:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        translated = catalog.get(message.id, context=message.context)
        if translated is None:
            found.append(Problem(key, "missing from the catalog"))
        else:
            found.extend(_translation_problems(key, translated))
    return found


def _translation_problems(key: str, message: Message) -> Iterator[Problem]:
    ids = (message.id,) if isinstance(message.id, str) else tuple(message.id)
    raw = message.string
    strings = (raw,) if isinstance(raw, str) else tuple(raw or ())
    if message.fuzzy:
        yield Problem(key, "fuzzy")
    if not all(strings):
        yield Problem(key, "not translated")
        return
    wanted = set(PLACEHOLDER.findall(" ".join(ids)))
    for text in strings:
        if set(PLACEHOLDER.findall(text)) != wanted:
            yield Problem(key, "placeholders differ")
