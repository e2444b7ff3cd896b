"""The shipped ZIP-centroid table places every ZIP exactly where the gazetteer does."""

from __future__ import annotations

import gzip
from pathlib import Path

import zipcodes

from locator.places.gazetteer import embedded_gazetteer
from scrapers import zip_centroids


def test_the_shipped_table_is_what_the_installed_zipcodes_gives() -> None:
    # Fails after a `zipcodes` upgrade until `python -m scrapers.zip_centroids` is run
    # (meanwhile zip_point falls back to the gazetteer, tested below).
    shipped = gzip.decompress(zip_centroids.TABLE.read_bytes()).decode("ascii")
    assert shipped == zip_centroids.table_text()


def test_every_zip_is_placed_as_the_gazetteer_places_it() -> None:
    gazetteer = embedded_gazetteer()
    codes = [r["zip_code"] for r in zipcodes.list_all()]  # type: ignore[no-untyped-call]
    unplaced = 0
    for code in [*codes, "00000", "99999", "1234", ""]:
        place = gazetteer.zip(code)
        expected = None if place is None else (place.point.lat, place.point.lon)
        assert zip_centroids.zip_point(code) == expected, code
        unplaced += expected is None
    assert zip_centroids._table() is not None  # the table answered, not the fallback
    assert 0 < unplaced < len(codes) // 10  # 0,0 ZIPs (APO/FPO) are left unplaced


def test_a_table_of_another_zipcodes_version_is_not_used(tmp_path: Path) -> None:
    stale = tmp_path / "zip_centroids.tsv.gz"
    stale.write_bytes(gzip.compress(b"zipcodes\t0.0.1\n10001\t1.0\t2.0\n"))
    assert zip_centroids._table(stale) is None
    assert zip_centroids._table(tmp_path / "missing.tsv.gz") is None
    current = tmp_path / "current.tsv.gz"
    version = zipcodes.__version__
    current.write_bytes(gzip.compress(f"zipcodes\t{version}\n10001\t1.0\t2.0\n".encode()))
    assert zip_centroids._table(current) == {"10001": (1.0, 2.0)}
