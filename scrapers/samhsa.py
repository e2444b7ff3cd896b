"""SAMHSA FindTreatment.gov: treatment facilities of the United States and territories.

Publisher: Substance Abuse and Mental Health Services Administration (SAMHSA), HHS.
URL: https://findtreatment.gov/locator/exportsAsJson/v2 (JSON pages); site CSV/XLSX exports;
the yearly N-SUMHSS National Directory workbooks.
Terms: the directory is in the public domain; it may not be resold. SAMHSA asks automated
users to register (https://findtreatment.gov/api-request-form) and we throttle to 1 request/s.
Cadence: SAMHSA corrects listings weekly and adds facilities monthly; we refresh weekly.
Format notes: shared/sources/samhsa.md. v2 rows carry no stable id, latitude/longitude are
strings, ``services`` may be null (unknown, not "offers nothing"), and one site appears once
per care type (SA, MH), so rows are keyed by normalised name + address and merged.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from locator.paths import DATA_DIR
from locator.places.states import find_state
from locator.text import clean, fold
from scrapers.base import FeedSchemaError, Rejected
from scrapers.facilities import FacilityRecord, clean_phone, clean_website, facility_key

SOURCE = "samhsa"
SOURCE_URL = "https://findtreatment.gov/"
API_URL = "https://findtreatment.gov/locator/exportsAsJson/v2"
PAGE_KEYS = frozenset({"page", "totalPages", "recordCount", "rows"})
ROW_KEYS = frozenset(
    {
        "name1",
        "name2",
        "street1",
        "city",
        "state",
        "zip",
        "phone",
        "latitude",
        "longitude",
        "typeFacility",
        "services",
    }
)
FACILITY_TYPES = frozenset({"SA", "MH", "OTP", "HRSA", "BUPREN"})
# A flaw of at least this share of a page's rows is the feed's shape, not a few odd rows;
# a page smaller than CHANGED_SHAPE_MIN_ROWS changed shape only when every row has the flaw.
CHANGED_SHAPE_SHARE = 0.9
CHANGED_SHAPE_MIN_ROWS = 5
CODEBOOKS = ("service_codes_2018.csv", "service_codes_nsumhss.csv")

# The 50 states, DC and the territories lie within these latitude/longitude spans
# (Guam and the Northern Marianas east of the 180° meridian, American Samoa south of the equator).
_US_LAT = (-15.0, 72.0)
_US_LON_SPANS = ((-180.0, -64.0), (144.0, 180.0))


@dataclass(frozen=True, slots=True)
class ServiceVocabulary:
    """Maps the feed's service names (f3) to codes, by category (f2) and, failing that, alone."""

    by_category: Mapping[tuple[str, str], str]
    by_name: Mapping[str, str]

    def code_for(self, category: str, name: str) -> str | None:
        folded = fold(name)
        return self.by_category.get((category, folded)) or self.by_name.get(folded)


@cache
def vocabulary() -> ServiceVocabulary:
    """Load the codebooks and the curated aliases in data/samhsa/ once."""
    by_category: dict[tuple[str, str], str] = {}
    by_name: dict[str, set[str]] = {}
    for filename in CODEBOOKS:
        with (DATA_DIR / "samhsa" / filename).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                _add_name(
                    by_category,
                    by_name,
                    row["category_code"],
                    row["service_name"],
                    row["service_code"],
                )
    with (DATA_DIR / "samhsa" / "service_name_aliases.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            _add_name(
                by_category, by_name, row["category_code"], row["feed_name"], row["service_code"]
            )
    unique = {name: next(iter(codes)) for name, codes in by_name.items() if len(codes) == 1}
    return ServiceVocabulary(by_category, unique)


def _add_name(
    by_category: dict[tuple[str, str], str],
    by_name: dict[str, set[str]],
    category: str,
    name: str,
    code: str,
) -> None:
    folded = fold(name)
    if category != "*":
        by_category[(category.strip(), folded)] = code.strip()
    by_name.setdefault(folded, set()).add(code.strip())


def parse_pages(pages: Iterable[Any]) -> Iterator[FacilityRecord | Rejected]:
    """Parse decoded API pages (dicts with ``rows``) into records and rejected rows.

    Each page is checked whole before its rows are yielded: one odd row is rejected, while a
    flaw shared by (nearly) every row of a page means the feed changed shape.

    Raises:
        FeedSchemaError: a page is not the documented shape (an error text, HTML, missing
            keys, or rows that nearly all lack a key), so nothing from this feed is trusted.
    """
    for number, page in enumerate(pages, start=1):
        if not isinstance(page, dict) or not page.keys() >= PAGE_KEYS:
            raise FeedSchemaError(
                f"Page {number} is not a FindTreatment.gov result page "
                f"(expected keys {sorted(PAGE_KEYS)}, got {_describe(page)}); the feed changed "
                "shape or sent an error page."
            )
        if not isinstance(page["rows"], list):
            raise FeedSchemaError(f"Page {number}: 'rows' is not a list; the feed changed shape.")
        check_page_rows(page["rows"], where=f"Page {number}")
        for index, row in enumerate(page["rows"], start=1):
            yield parse_row(row, where=f"page {number} row {index}")


def check_page_rows(rows: list[Any], *, where: str) -> None:
    """Fail when a flaw is shared by (nearly) every row of one page: the feed changed shape.

    A flaw of a few rows is theirs alone, and parse_row rejects just those rows.

    Raises:
        FeedSchemaError: at least 90% of a page of 5 rows or more, or every row of a smaller
            page, is not an object, lacks one required key, or has malformed ``services``.
    """
    objects = [row for row in rows if isinstance(row, dict)]
    if _most(len(rows) - len(objects), len(rows)):
        raise FeedSchemaError(f"{where}: the rows are not objects; the feed changed shape.")
    for key in sorted(ROW_KEYS):
        # A row that is not an object lacks every key.
        lacking = len(rows) - sum(key in row for row in objects)
        if _most(lacking, len(rows)):
            raise FeedSchemaError(
                f"{where}: {lacking} of {len(rows)} rows lack the keys [{key!r}]; "
                "the feed changed shape."
            )
    listed = [row["services"] for row in objects if row.get("services") is not None]
    malformed = sum(not _services_well_formed(items) for items in listed)
    if _most(malformed, len(listed)):
        raise FeedSchemaError(
            f"{where}: {malformed} of {len(listed)} rows have 'services' that are not a list "
            "of f2/f3 entries; the feed changed shape."
        )


def _most(flawed: int, total: int) -> bool:
    """Tell whether ``flawed`` of ``total`` rows is a page-wide flaw rather than odd rows."""
    if flawed == 0:
        return False
    if total < CHANGED_SHAPE_MIN_ROWS:
        return flawed == total
    return flawed >= CHANGED_SHAPE_SHARE * total


def parse_row(row: Any, *, where: str) -> FacilityRecord | Rejected:
    """Turn one API row into a record, or a Rejected row saying what was wrong."""
    if not isinstance(row, dict):
        return Rejected(where, f"the row is not an object (got {_describe(row)})")
    name = clean(row.get("name1"))
    label = f"{where} ({name or 'no name'})"
    flaw = _shape_flaw(row)
    if flaw:
        return Rejected(label, flaw)
    if not name:
        return Rejected(label, "no facility name")
    state = find_state(clean(row["state"]))
    if state is None:
        return Rejected(label, f"unknown state {clean(row['state'])!r}")
    types = {t for t in clean(row["typeFacility"]).upper().replace(",", " ").split() if t}
    if not types <= FACILITY_TYPES:
        return Rejected(label, f"unknown facility type {clean(row['typeFacility'])!r}")
    latitude, longitude = us_coordinates(row["latitude"], row["longitude"])
    if latitude is None:
        return Rejected(label, "latitude/longitude missing or outside the United States")
    street1, city, zip_code = clean(row["street1"]), clean(row["city"]), clean(row["zip"])[:5]
    services, unmapped = _services(row["services"])
    return FacilityRecord(
        key=facility_key(name, street1, city, state.code, zip_code),
        name=name,
        name2=clean(row["name2"]),
        street1=street1,
        street2=clean(row.get("street2")),
        city=city,
        state=state.code,
        zip=zip_code,
        phone=clean_phone(row["phone"]),
        intake_phone=clean_phone(row.get("intake1")),
        hotline_phone=clean_phone(row.get("hotline1")),
        website=clean_website(row.get("website")),
        latitude=latitude,
        longitude=longitude,
        facility_types=frozenset(types),
        services=services,
        unmapped_services=unmapped,
    )


def us_coordinates(lat: Any, lon: Any) -> tuple[float, float] | tuple[None, None]:
    """Read a latitude/longitude pair (strings in the API) lying in the US or its territories."""
    try:
        latitude, longitude = float(lat), float(lon)
    except (TypeError, ValueError):
        return None, None
    in_lat = _US_LAT[0] <= latitude <= _US_LAT[1]
    in_lon = any(low <= longitude <= high for low, high in _US_LON_SPANS)
    if not (in_lat and in_lon) or (latitude == 0 and longitude == 0):
        return None, None
    return round(latitude, 7), round(longitude, 7)


def _services(items: Any) -> tuple[frozenset[str] | None, tuple[tuple[str, str], ...]]:
    if items is None:
        return None, ()
    vocab = vocabulary()
    codes: set[str] = set()
    unmapped: set[tuple[str, str]] = set()
    for item in items:
        category = clean(item["f2"])
        for name in (clean(part) for part in str(item["f3"] or "").split(";")):
            if not name:
                continue
            code = vocab.code_for(category, name)
            if code is None:
                unmapped.add((category, name))
            else:
                codes.add(code)
    return frozenset(codes), tuple(sorted(unmapped))


def _shape_flaw(row: dict[str, Any]) -> str:
    """Say what keeps one row from the documented shape ("" when nothing does)."""
    missing = ROW_KEYS - row.keys()
    if missing:
        return f"lacks the keys {sorted(missing)}"
    if row["services"] is not None and not _services_well_formed(row["services"]):
        return "'services' is not a list of f2/f3 entries"
    return ""


def _services_well_formed(items: Any) -> bool:
    """Tell whether ``services`` is a list of entries carrying f2 (category) and f3 (names)."""
    return isinstance(items, list) and all(
        isinstance(item, dict) and "f2" in item and "f3" in item for item in items
    )


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        return str(sorted(value.keys())[:8])
    text = repr(value)
    return text[:80] + ("…" if len(text) > 80 else "")
