"""SAMHSA's own coordinates, from a national export of its Treatment Locator (≤ 2021-07).

The 2022 National Directories carry no coordinates; this export (name, address, latitude,
longitude; no phones or services) places their rows where name+street+ZIP, or an unambiguous
street+ZIP, match. Also the CSV reading the national files share (data/samhsa/national/).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from locator.places.geo import haversine_km_raw
from locator.text import clean, fold
from scrapers.base import FeedSchemaError
from scrapers.facilities import street_key
from scrapers.samhsa import us_coordinates

LOCATOR_FILE = "SAMHSA_Nationwide_Substance_Use_Treatment_Data.csv"
LOCATOR_REQUIRED = ("name1", "street1", "zip", "latitude", "longitude")
# Points of one key closer than this are one place (the export lists some buildings twice).
ONE_PLACE_KM = 0.1
Point = tuple[float, float]


@dataclass
class PlaceIndex:
    """SAMHSA's own coordinates from the locator export, by name+street+ZIP and street+ZIP.

    A key that points at places further apart than ONE_PLACE_KM maps to None: ambiguous.
    """

    exact: dict[tuple[str, str, str], Point | None] = field(default_factory=dict)
    street: dict[tuple[str, str], Point | None] = field(default_factory=dict)

    def find(self, name: str, street1: str, zip5: str) -> tuple[str, Point | None]:
        """Say how a site is placed ("exact", "by_street", "ambiguous", "none") and where."""
        street = (street_key(street1), zip5)
        exact = self.exact.get((name_key(name), *street))
        if exact is not None:
            return "exact", exact
        if street not in self.street:
            return "none", None
        found = self.street[street]
        return ("by_street", found) if found is not None else ("ambiguous", None)


def locator_places(path: Path) -> PlaceIndex:
    """Index the locator export's valid coordinates by name+street+ZIP and by street+ZIP."""
    exact: defaultdict[tuple[str, str, str], list[Point]] = defaultdict(list)
    street: defaultdict[tuple[str, str], list[Point]] = defaultdict(list)
    for row in csv_rows(path, LOCATOR_REQUIRED):
        lat, lon = us_coordinates(row["latitude"], row["longitude"])
        if lat is None or lon is None:
            continue
        key = (street_key(row["street1"]), zip5(row["zip"]))
        exact[(name_key(row["name1"]), *key)].append((lat, lon))
        street[key].append((lat, lon))
    return PlaceIndex(
        {key: _one_place(points) for key, points in exact.items()},
        {key: _one_place(points) for key, points in street.items()},
    )


def _one_place(points: list[Point]) -> Point | None:
    """Return the first point if every point lies within ONE_PLACE_KM of it, else None."""
    first = points[0]
    near = all(haversine_km_raw(*first, *point) <= ONE_PLACE_KM for point in points[1:])
    return first if near else None


def csv_rows(path: Path, required: Iterable[str]) -> Iterator[dict[str, str]]:
    """Yield a CSV file's rows keyed by lower-case header (UTF-8, else Windows-1252).

    The OTP file is Windows-1252 ('Asociación' is one byte 0xED there).

    Raises:
        FeedSchemaError: a required column is missing.
    """
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [clean(name).lower() for name in next(reader, [])]
    missing = sorted(set(required) - set(header))
    if missing:
        raise FeedSchemaError(f"{path.name} lacks the columns {missing}; the format changed.")
    for values in reader:
        if "".join(values).strip():
            yield dict(zip(header, values, strict=False))


def name_key(name: str) -> str:
    return fold(name).replace(" ", "")


def zip5(value: str) -> str:
    """Return a 5-digit ZIP: '2108' (a leading zero lost in a spreadsheet) -> '02108'."""
    digits = clean(value).split("-")[0]
    return digits[:5] if len(digits) >= 5 else digits.zfill(5)
