"""ZIP centroids for placing National Directory rows, from a compact table of the gazetteer's.

Building the embedded gazetteer (locator/places/gazetteer.py) reads all 42k ZIP records of
the `zipcodes` package as dicts: ~0.7 s of every import process, where a directory import
needs only each ZIP's point. ``data/places/zip_centroids.tsv.gz`` holds exactly the
gazetteer's ZIP points (written by ``python -m scrapers.zip_centroids``), headed by the
`zipcodes` version they came from; with any other version installed the gazetteer itself
answers, so a placement never differs from ``embedded_gazetteer().zip``.
"""

from __future__ import annotations

import gzip
from functools import cache
from pathlib import Path

from locator.paths import DATA_DIR
from locator.places.gazetteer import embedded_gazetteer

TABLE = DATA_DIR / "places" / "zip_centroids.tsv.gz"
Point = tuple[float, float]


def zip_point(code: str) -> Point | None:
    """Return the (latitude, longitude) centroid of a 5-digit ZIP code, as the gazetteer does."""
    table = _table()
    if table is not None:
        return table.get(code[:5])
    place = embedded_gazetteer().zip(code)
    return None if place is None else (place.point.lat, place.point.lon)


def _zipcodes_version() -> str:
    import zipcodes  # deferred like the gazetteer's: nothing is read at import

    return str(zipcodes.__version__)


@cache
def _table(path: Path = TABLE) -> dict[str, Point] | None:
    """Read the shipped table; None when it is missing or from another `zipcodes` version."""
    try:
        lines = gzip.decompress(path.read_bytes()).decode("ascii").splitlines()
    except OSError:
        return None
    if not lines or lines[0] != f"zipcodes\t{_zipcodes_version()}":
        return None
    table: dict[str, Point] = {}
    for line in lines[1:]:
        code, lat, lon = line.split("\t")
        table[code] = (float(lat), float(lon))
    return table


def table_text() -> str:
    """Return the table's text from the installed `zipcodes` through the gazetteer."""
    import zipcodes

    gazetteer = embedded_gazetteer()
    lines = [f"zipcodes\t{_zipcodes_version()}"]
    for digit in "0123456789":
        for record in zipcodes.similar_to(digit):  # type: ignore[no-untyped-call]
            place = gazetteer.zip(record["zip_code"])
            if place is not None:
                lines.append(f"{record['zip_code']}\t{place.point.lat!r}\t{place.point.lon!r}")
    return "\n".join(dict.fromkeys(lines)) + "\n"


def write_table(path: Path = TABLE) -> None:
    """Write the table (after a `zipcodes` upgrade); mtime 0, so the bytes are reproducible."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(table_text().encode("ascii"), mtime=0))


if __name__ == "__main__":
    write_table()
