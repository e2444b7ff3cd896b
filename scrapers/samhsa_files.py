"""File imports of SAMHSA facility lists: saved API answers, site exports and National Directories.

Three kinds of file, told apart by their content rather than their name
(shared/sources/samhsa.md §5-6):

- a saved API answer (JSON): one result page or a list of pages;
- a site export or the 2018 ``locatorExcel`` workbook (CSV or XLSX): the base columns
  ``name1 … latitude, longitude, type_facility`` and then one flag column per service code
  (``1`` or blank), lower-case and sometimes padded with spaces;
- an N-SUMHSS National Directory workbook (XLSX): a "Facilities List" sheet whose
  ``service_code_info`` cell holds the codes separated by spaces and ``*``, and a "Service Code
  Reference" sheet with the vintage's codebook. It has no coordinates: each facility is placed
  at its ZIP centroid from the embedded gazetteer and marked approximate.

Columns are read by header name; a missing required column is a FeedSchemaError (the format
drifted), so nothing is imported from a file we do not understand. Codes and flag columns
that no codebook knows are kept raw on the facility and counted in the run, never dropped.
Rows are read one at a time (csv module, openpyxl read-only mode), never as a whole list.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from locator.paths import DATA_DIR
from locator.places.states import find_state
from locator.text import clean
from scrapers.base import FeedSchemaError, Rejected
from scrapers.facilities import FacilityRecord, clean_phone, clean_website, facility_key
from scrapers.files import TEXT_ENCODING, read_json, utf8_errors
from scrapers.samhsa import FACILITY_TYPES, SOURCE, parse_pages, us_coordinates, vocabulary
from scrapers.spreadsheets import (
    SHORT_ROW,
    normalise,
    open_workbook,
    read_rows,
    sheet_dicts,
    workbook_outline,
)
from scrapers.zip_centroids import zip_point

EXPORT_REQUIRED = ("name1", "street1", "city", "state", "zip", "phone", "latitude", "longitude")
EXPORT_BASE = frozenset(
    {
        *EXPORT_REQUIRED,
        "frid",
        "name2",
        "street2",
        "zip4",
        "county",
        "intake_prompt",
        "intake1",
        "intake2",
        "intake1a",
        "intake2a",
        "hotline1",
        "website",
        "type_facility",
        "typefacility",
        "last_update",
        "miles",
    }
)
DIRECTORY_REQUIRED = ("name1", "street1", "city", "state", "zip", "phone", "service_code_info")
REFERENCE_REQUIRED = ("category_code", "category_name", "service_code", "service_name")
FACILITIES_SHEET = "facilities list"
REFERENCE_SHEET = "service code reference"
_CODE_SPLIT = re.compile(r"[\s*]+")
_TRUE = frozenset({"1", "1.0", "y", "yes", "true", "x"})

Row = Mapping[str, Any]
# How a directory's file name says which directory it is (…_SA_Facilities_2022, 2025_SU_…).
_SA_WORDS = frozenset({"sa", "su", "sud", "substance"})
_MH_WORDS = frozenset({"mh", "mental"})


@dataclass
class SamhsaFile:
    """What a file holds and how to read it, found by looking inside."""

    path: Path
    kind: str  # "api-json", "export", "directory"
    vintage: str = ""
    reference: list[dict[str, str]] = field(default_factory=list)
    as_of: date | None = None  # a directory's publication date (the workbook's own)

    @property
    def source(self) -> str:
        """Name the source the file's rows contribute as.

        A National Directory is a publication of its own (``samhsa-sa-2022``), so importing the
        mental-health directory never replaces what the substance-use one said; saved API
        answers and site exports are FindTreatment.gov's listing, like the live sweep.
        """
        if self.kind != "directory":
            return SOURCE
        words = set(re.split(r"[^a-z0-9]+", self.path.stem.lower()))
        kind = "sa" if words & _SA_WORDS else "mh" if words & _MH_WORDS else "directory"
        year = self.vintage.rsplit("-", 1)[-1]
        return f"{SOURCE}-{kind}-{year}"

    def describe(self) -> str:
        return {
            "api-json": "a saved FindTreatment.gov API answer",
            "export": "a FindTreatment.gov site export",
            "directory": f"an N-SUMHSS National Directory workbook ({self.vintage})",
        }[self.kind]

    @property
    def title(self) -> str:
        """Name the publication for people, with its date where the file gives one."""
        kind = self.source.split("-")[1] if self.kind == "directory" else ""
        title = {
            "sa": "SAMHSA National Directory of Drug and Alcohol Use Treatment Facilities",
            "mh": "SAMHSA National Directory of Mental Health Treatment Facilities",
        }.get(kind, f"SAMHSA {self.describe().removeprefix('a ').removeprefix('an ')}")
        return f"{title}, {self.as_of:%B %Y}" if self.as_of else title


def open_file(path: Path, vintage: str = "") -> SamhsaFile:
    """Look inside ``path`` and say which kind of SAMHSA file it is.

    Raises:
        FeedSchemaError: the file is none of the known kinds.
    """
    suffix = path.suffix.lower()
    if suffix == ".json":
        return SamhsaFile(path, "api-json")
    if suffix == ".csv":
        with utf8_errors(path), path.open(encoding=TEXT_ENCODING, newline="") as handle:
            header = normalise(next(csv.reader(handle), []))
        _require(header, EXPORT_REQUIRED, f"{path.name}: a SAMHSA export CSV")
        return SamhsaFile(path, "export")
    if suffix in (".xlsx", ".xlsm"):
        sheets, modified = workbook_outline(path)
        if FACILITIES_SHEET in sheets:
            # The Service Code Reference is read by file_items, from the one opening of the
            # workbook that also reads its rows (each opening parses the whole string table).
            return SamhsaFile(
                path, "directory", vintage or directory_vintage(path), [], _date(modified)
            )
        return SamhsaFile(path, "export")
    raise FeedSchemaError(f"{path.name}: expected a .json, .csv or .xlsx SAMHSA file.")


def input_digest(source: SamhsaFile) -> str:
    """Fingerprint a file with the parser that reads it: the same bytes read by the same code
    and vocabulary give the same records, so an unchanged re-import need not read them."""
    digest = hashlib.sha256(_parser_version().encode("ascii"))
    digest.update(f"{source.kind}|{source.vintage}|".encode())
    with source.path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@cache
def _parser_version() -> str:
    """Hash the code and data that turn a SAMHSA file into records."""
    here = Path(__file__).resolve().parent
    parts = [here / name for name in ("samhsa_files.py", "samhsa.py", "facilities.py")]
    parts += sorted((DATA_DIR / "samhsa").glob("*.csv"))
    digest = hashlib.sha256()
    for path in parts:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def directory_vintage(path: Path) -> str:
    """Name a directory's codebook vintage after the year in its file name (e.g. nsumhss-2025)."""
    found = re.search(r"(20\d\d)", path.name)
    return f"nsumhss-{found.group(1)}" if found else f"directory-{path.stem[:20]}"


def file_items(source: SamhsaFile) -> Iterator[FacilityRecord | Rejected]:
    """Yield the records and rejected rows of a file, reading it row by row."""
    if source.kind == "api-json":
        data = read_json(source.path)
        yield from parse_pages(data if isinstance(data, list) else [data])
    elif source.kind == "export":
        yield from export_items(read_rows(source.path), source.path.name)
    else:
        yield from _directory_file_items(source)


def _directory_file_items(source: SamhsaFile) -> Iterator[FacilityRecord | Rejected]:
    """Read a directory's codebook into ``source.reference``, then yield its rows."""
    workbook = open_workbook(source.path)
    try:
        names = {name.strip().lower(): name for name in workbook.sheetnames}
        if REFERENCE_SHEET in names:
            rows = sheet_dicts(workbook[names[REFERENCE_SHEET]], REFERENCE_REQUIRED)
            source.reference[:] = _codebook(list(rows))
        codes = {row["service_code"] for row in source.reference}
        rows = sheet_dicts(workbook[names[FACILITIES_SHEET]], ("name1",))
        yield from directory_items(rows, source.path.name, codes)
    finally:
        workbook.close()


def export_items(rows: Iterable[Row], name: str) -> Iterator[FacilityRecord | Rejected]:
    """Parse site-export rows (base columns plus one flag column per service code)."""
    known = _known_codes()
    flags: list[tuple[str, str | None]] | None = None
    for number, row in enumerate(rows, start=2):
        if flags is None:
            _require(set(row), EXPORT_REQUIRED, f"{name}: a SAMHSA export")
            flags = [(h, h.upper() if h.upper() in known else None) for h in row]
            flags = [(h, c) for h, c in flags if h and h not in EXPORT_BASE and h != SHORT_ROW]
        short = _short(row, f"{name} row {number}")
        if short is not None:
            yield short
            continue
        codes: set[str] = set()
        unmapped: set[tuple[str, str]] = set()
        for header, code in flags:
            value = row.get(header)
            if value and _truthy(value):
                if code:
                    codes.add(code)
                else:
                    unmapped.add(("column", header))
        where = f"{name} row {number}"
        location = _coordinates(row.get("latitude"), row.get("longitude"))
        types = clean(row.get("type_facility") or row.get("typefacility")) or "SA"
        yield _record(row, where, types, frozenset(codes), unmapped, location, approximate=False)


def directory_items(
    rows: Iterable[Row], name: str, reference_codes: set[str]
) -> Iterator[FacilityRecord | Rejected]:
    """Parse National Directory rows, placing each facility at its ZIP centroid."""
    # Each code as one shared string: a row's own ~55 token strings, kept by its record's
    # services, were a sixth of a national import's memory.
    known = {code: code for code in reference_codes or _known_codes()}
    checked = False
    for number, row in enumerate(rows, start=2):
        if not checked:
            _require(set(row), DIRECTORY_REQUIRED, f"{name}: a National Directory sheet")
            checked = True
        short = _short(row, f"{name} row {number}")
        if short is not None:
            yield short
            continue
        tokens = [t for t in _CODE_SPLIT.split(clean(row.get("service_code_info"))) if t]
        codes = frozenset(known[t] for t in tokens if t in known)
        unmapped = {("code", t) for t in tokens if t not in known}
        location = zip_point(clean(row.get("zip"))[:5])
        types = " ".join(t for t in ("SA", "MH") if t in codes) or "SA"
        yield _record(
            row, f"{name} row {number}", types, codes, unmapped, location, approximate=True
        )


def _record(
    row: Row,
    where: str,
    types_text: str,
    codes: frozenset[str],
    unmapped: set[tuple[str, str]],
    location: tuple[float, float] | None,
    *,
    approximate: bool,
) -> FacilityRecord | Rejected:
    name = clean(row.get("name1"))
    label = f"{where} ({name or 'no name'})"
    if not name:
        return Rejected(label, "no facility name")
    state = find_state(clean(row.get("state")))
    if state is None:
        return Rejected(label, f"unknown state {clean(row.get('state'))!r}")
    types = frozenset(t for t in types_text.upper().replace(",", " ").split() if t)
    if not types <= FACILITY_TYPES:
        return Rejected(label, f"unknown facility type {types_text!r}")
    if location is None:
        why = "ZIP code not in the gazetteer" if approximate else "latitude/longitude missing"
        return Rejected(label, f"{why}; the facility cannot be placed on the map")
    street1, city, zip_code = clean(row.get("street1")), clean(row.get("city")), _zip(row)
    return FacilityRecord(
        key=facility_key(name, street1, city, state.code, zip_code),
        name=name,
        name2=clean(row.get("name2")),
        street1=street1,
        street2=clean(row.get("street2")),
        city=city,
        state=state.code,
        zip=zip_code,
        county=clean(row.get("county")),
        phone=clean_phone(row.get("phone")),
        intake_phone=clean_phone(row.get("intake1") or row.get("intake1a")),
        hotline_phone=clean_phone(row.get("hotline1")),
        website=clean_website(row.get("website")),
        latitude=location[0],
        longitude=location[1],
        location_approximate=approximate,
        facility_types=types,
        services=codes,
        unmapped_services=tuple(sorted(unmapped)),
        source_updated=_date(row.get("last_update")),
    )


def _short(row: Row, where: str) -> Rejected | None:
    if SHORT_ROW not in row:
        return None
    return Rejected(
        where, f"the row has only {row[SHORT_ROW]}: the file is cut short or the row is broken"
    )


def _require(header: Iterable[str], required: Iterable[str], what: str) -> None:
    missing = sorted(set(required) - set(header))
    if missing:
        raise FeedSchemaError(f"{what} lacks the columns {missing}; the format changed.")


def _codebook(reference: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {key: clean(row.get(key)) for key in (*REFERENCE_REQUIRED, "service_description")}
        for row in reference
        if clean(row.get("service_code"))
    ]


@cache
def _known_codes() -> frozenset[str]:
    vocab = vocabulary()
    return frozenset(vocab.by_category.values()) | frozenset(vocab.by_name.values())


def _truthy(value: Any) -> bool:
    if not value:
        return False
    return value == "1" or value == 1 or clean(value).lower() in _TRUE


def _coordinates(lat: Any, lon: Any) -> tuple[float, float] | None:
    latitude, longitude = us_coordinates(lat, lon)
    return None if latitude is None or longitude is None else (latitude, longitude)


def _zip(row: Row) -> str:
    value = row.get("zip")
    if isinstance(value, int | float):  # a spreadsheet turned 02108 into 2108
        return f"{int(value):05d}"
    return clean(value)[:5]


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = clean(value)[:10]
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None
