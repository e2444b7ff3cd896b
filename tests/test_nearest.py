"""Nearest-first search returns what a brute-force haversine over every row returns.

Real rows: the 2022 SAMHSA directory listings of Alaska, Hawaii, Guam, the Northern Marianas
and American Samoa (data/samhsa/national/snapshots, written through the real import
pipeline under their real coordinates and services) beside the seeded Charlottesville sample.
Synthetic rows ("Test site ...", this test database only): sites sharing one point (ties), the
Aleutians on both sides of the 180° meridian, and a dense cluster with more matches than
the search counts.
"""

from __future__ import annotations

import gzip
import itertools
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from locator.facilities.search import TOTAL_CAP, FacilityQuery, SearchPage, find_nearby
from locator.facilities.taxonomy import category_mask
from locator.paths import PROJECT_DIR
from locator.places.geo import Point, haversine_km_raw, min_dot, to_km, unit_vector
from tests.utils.facilities import add_sites, site

SNAPSHOTS = PROJECT_DIR / "data" / "samhsa" / "national" / "snapshots"
FAR_STATES = {"AK", "HI", "GU", "MP", "AS"}

ANCHORAGE = Point(61.2181, -149.9003)
FAIRBANKS = Point(64.8378, -147.7164)
ADAK = Point(51.8800, -176.6581)  # the Aleutians: a wide circle crosses the 180° meridian
HAGATNA = Point(13.4757, 144.7489)
PAGO_PAGO = Point(-14.2756, -170.7020)
HONOLULU = Point(21.3069, -157.8583)
CHARLOTTESVILLE = Point(38.0293, -78.4767)
TIE_POINT = (61.1900, -149.8700)  # twelve sites at one point, as sites at a ZIP centre are


@dataclass(frozen=True)
class Row:
    id: int
    lat: float
    lon: float
    state: str
    lo: int
    hi: int


def real_far_records() -> Iterator[Any]:
    """The real 2022 directory listings of the far-off states and territories."""
    for name in ("samhsa-sa-2022.json.gz", "samhsa-mh-2022.json.gz"):
        with gzip.open(SNAPSHOTS / name) as handle:
            for record in json.load(handle)["records"]:
                if record["state"] in FAR_STATES and record["latitude"] is not None:
                    yield record


def synthetic_sites() -> list[Any]:
    sites = [
        site(f"tie {n}", *TIE_POINT, state="AK", services=("OP", "DT") if n % 2 else ("OP",))
        for n in range(12)
    ]
    for n, lon in enumerate((179.95, 179.999, 180.0, -180.0, -179.999, -179.95, -178.0, 178.0)):
        sites.append(site(f"aleutian {n}", 51.9 + n * 0.05, lon, state="AK", services=("OP",)))
    return sites


def add_dense_cluster(engine: Engine) -> None:
    """More matches near Charlottesville than a search counts (inserted directly: speed)."""
    from datetime import date

    from sqlalchemy import insert

    from locator.facilities.taxonomy import service_bits
    from locator.models import Facility
    from locator.places.spatial import index_columns

    rows = []
    for n in range(TOTAL_CAP + 60):
        lat, lon = 38.0 + (n % 40) * 0.01, -78.9 + (n // 40) * 0.01
        lo, hi = service_bits(["OP"] if n % 3 else ["DT"], ["SA"])
        rows.append(
            {
                "source": "test-dense",
                "source_key": f"dense{n}",
                "name": f"Test site dense {n}",
                "state": "VA",
                "latitude": lat,
                "longitude": lon,
                **index_columns(lat, lon),
                "facility_types": ",SA,",
                "first_seen": date(2026, 11, 1),
                "last_seen": date(2026, 11, 1),
                "unmapped_services": [],
                "service_bits_lo": lo,
                "service_bits_hi": hi,
            }
        )
    with engine.begin() as conn:
        conn.execute(insert(Facility), rows)


@pytest.fixture(scope="module")
def real_sites() -> list[Any]:
    return [
        site(
            f"{r['name']} {r['key'][:6]}",
            r["latitude"],
            r["longitude"],
            state=r["state"],
            city=r["city"],
            street=r["street1"],
            zip_code=r["zip"],
            services=r["services"],
            types=r["facility_types"],
        )
        for r in real_far_records()
    ]


@pytest.fixture
def store(engine: Engine, real_sites: list[Any]) -> Engine:
    assert len(real_sites) > 250  # the far states' real listings, not a handful
    add_sites(engine, real_sites + synthetic_sites())
    add_dense_cluster(engine)
    return engine


def all_rows(engine: Engine) -> list[Row]:
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "SELECT id, latitude, longitude, state, service_bits_lo, service_bits_hi "
                "FROM facility WHERE active AND latitude IS NOT NULL"
            )
        ).all()
    return [Row(*r) for r in found]


def law_states(engine: Engine, status: str) -> set[str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT state FROM state_law WHERE status = :s"), {"s": status})
        return {r[0] for r in rows}


def brute_force(rows: list[Row], query: FacilityQuery, states: set[str] | None) -> list[Row]:
    """Every matching row inside the radius, by great-circle angle (dot product), then id."""
    ux, uy, uz = unit_vector(query.origin.lat, query.origin.lon)
    assert query.radius is not None
    limit = min_dot(to_km(query.radius, query.unit))
    kept: list[tuple[float, int, Row]] = []
    for row in rows:
        if states is not None and row.state not in states:
            continue
        if not all(_has(row, key) for key in query.categories):
            continue
        x, y, z = unit_vector(row.lat, row.lon)
        dot = x * ux + y * uy + z * uz
        if dot >= limit:
            kept.append((-dot, row.id, row))
    return [row for _, _, row in sorted(kept, key=lambda k: (k[0], k[1]))]


def _has(row: Row, key: str) -> bool:
    column, mask = category_mask(key)
    return bool((row.lo if column == "service_bits_lo" else row.hi) & mask)


def search(engine: Engine, query: FacilityQuery) -> SearchPage:
    with Session(engine) as session:
        return find_nearby(session=session, query=query)


CASES = [
    (ANCHORAGE, 10, ()),
    (ANCHORAGE, 25, ("outpatient",)),
    (ANCHORAGE, 400, ()),
    (FAIRBANKS, 100, ()),
    (FAIRBANKS, 600, ("detox",)),
    (ADAK, 60, ()),
    (ADAK, 1500, ()),
    (HAGATNA, 25, ()),
    (HAGATNA, 200, ()),
    (PAGO_PAGO, 50, ()),
    (PAGO_PAGO, 3000, ()),
    (HONOLULU, 30, ("outpatient",)),
    (CHARLOTTESVILLE, 10, ()),
    (CHARLOTTESVILLE, 100, ("detox",)),
    (CHARLOTTESVILLE, 100, ()),
]


def test_every_page_matches_a_brute_force_haversine(store: Engine) -> None:
    rows = all_rows(store)
    for (origin, miles, services), per_page in itertools.product(CASES, (1, 7, 25)):
        query = FacilityQuery(origin=origin, radius=miles, categories=services, per_page=per_page)
        expected = brute_force(rows, query, None)
        got = _read_pages(store, query, stop=min(len(expected), 60))
        case = (origin, miles, services, per_page)
        assert [h.id for h in got] == [r.id for r in expected[: len(got)]], case
        assert len(got) == min(len(expected), 60), case
        for hit, row in zip(got, expected, strict=False):
            km = haversine_km_raw(origin.lat, origin.lon, row.lat, row.lon)
            assert hit.distance == pytest.approx(km / 1.609344, abs=1e-9)
            assert km <= to_km(miles, "mi") * (1 + 1e-6)
        distances = [h.distance or 0.0 for h in got]
        assert all(b >= a - 1e-9 for a, b in itertools.pairwise(distances))


def _read_pages(engine: Engine, query: FacilityQuery, *, stop: int) -> list[Any]:
    """Read page after page until ``stop`` hits (or the last page), checking the totals."""
    hits: list[Any] = []
    page = 1
    while True:
        found = search(engine, replace(query, page=page))
        hits.extend(found.hits)
        if len(hits) >= stop or not found.has_next:
            return hits[:stop] if stop else hits
        page += 1


def test_totals_are_exact_up_to_the_cap(store: Engine) -> None:
    rows = all_rows(store)
    capped = 0
    for origin, miles, services in CASES:
        query = FacilityQuery(origin=origin, radius=miles, categories=services, per_page=10)
        expected = len(brute_force(rows, query, None))
        page = search(store, query)
        if expected <= TOTAL_CAP:
            assert (page.total, page.total_exact) == (expected, True)
            assert page.pages == max(1, math.ceil(expected / 10))
        elif page.total_exact:  # the search read its whole circle: it knows, so it says
            assert page.total == expected
        else:
            capped += 1
            assert page.total == TOTAL_CAP
        assert page.has_next == (expected > 10)
    assert capped >= 1  # the dense cluster is counted only up to the cap


def test_sites_at_one_point_come_in_the_same_order_on_every_page(store: Engine) -> None:
    origin = Point(*TIE_POINT)
    whole = search(store, FacilityQuery(origin=origin, radius=1, per_page=100)).hits
    ties = [h.id for h in whole if h.distance == 0]
    assert len(ties) == 12 and ties == sorted(ties)
    paged = _read_pages(store, FacilityQuery(origin=origin, radius=1, per_page=5), stop=100)
    assert [h.id for h in paged] == [h.id for h in whole]


def test_a_page_past_the_last_is_empty_with_the_exact_total(store: Engine) -> None:
    found = search(store, FacilityQuery(origin=HAGATNA, radius=200, per_page=5, page=40))
    expected = len(brute_force(all_rows(store), found.query, None))
    assert found.hits == [] and (found.total, found.total_exact) == (expected, True)
    assert not found.has_next


def test_the_law_filter_matches_a_brute_force_haversine(store: Engine) -> None:
    rows = all_rows(store)
    for status in ("unregulated", "regulated_kcpa", "banned"):
        states = law_states(store, status)
        query = FacilityQuery(origin=ADAK, radius=3000, law_statuses=(status,), per_page=30)
        expected = brute_force(rows, query, states)
        assert [h.id for h in search(store, query).hits] == [r.id for r in expected[:30]]


@pytest.mark.parametrize("count_cap", [None, 1001])
@pytest.mark.parametrize("cache_mode", ["force_custom_plan", "force_generic_plan"])
def test_on_postgis_the_search_walks_the_gist_index_nearest_first(
    store: Engine, cache_mode: str, count_cap: int | None
) -> None:
    """Also as a prepared statement's generic plan: psycopg prepares a query run 5 times;
    and with the page's total counted in the same statement (as the search asks)."""
    from locator.facilities.search import HIT_FIELDS, facility_conditions
    from locator.places.spatial import RankedQuery, has_postgis, knn_statement

    if store.dialect.name != "postgresql":
        pytest.skip("PostGIS is a PostgreSQL extension; SQLite uses the band index")
    query = FacilityQuery(origin=ANCHORAGE, radius=100, categories=("outpatient",))
    conditions, filters = facility_conditions(query)
    sql, values = knn_statement(
        RankedQuery("facility", conditions, HIT_FIELDS),
        ANCHORAGE,
        161.0,
        25,
        52,
        filters,
        count_cap,
    )
    with store.begin() as conn:
        if not has_postgis(conn, "facility"):
            pytest.skip("this PostgreSQL has no PostGIS: the band index path is tested")
        # At a few hundred rows any plan is as good as another: give the planner a
        # national-sized table (this test's database only) to choose for.
        _add_grid_rows(conn, ANCHORAGE, 30_000)
        conn.execute(text("ANALYZE facility"))
        conn.exec_driver_sql(f"SET plan_cache_mode = {cache_mode}")
        cursor: Any = conn.connection.cursor()  # psycopg: prepare= asks for a named plan
        cursor.execute("EXPLAIN " + sql, values, prepare=True)
        plan = " ".join(str(r[0]) for r in cursor.fetchall())
    assert "ix_spatial_facility_geog" in plan and "Order By" in plan, plan


def _add_grid_rows(conn: Any, origin: Point, count: int) -> None:
    """Insert ``count`` synthetic rows on a grid around ``origin`` (this test's database only)."""
    from datetime import date

    from sqlalchemy import insert

    from locator.models import Facility
    from locator.places.spatial import index_columns

    rows = []
    for n in range(count):
        lat, lon = origin.lat - 2 + (n % 200) * 0.02, origin.lon - 4 + (n // 200) * 0.05
        rows.append(
            {
                "id": 2_000_000 + n,
                "source": "test-plan",
                "source_key": f"grid{n}",
                "name": f"Test grid row {n}",
                "state": "AK",
                "latitude": lat,
                "longitude": lon,
                **index_columns(lat, lon),
                "facility_types": ",SA,",
                "first_seen": date(2026, 11, 1),
                "last_seen": date(2026, 11, 1),
                "unmapped_services": [],
                "service_bits_lo": 2,
                "service_bits_hi": 0,
            }
        )
    conn.execute(insert(Facility), rows)


def _knn_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the KNN statements a search runs (PostGIS only; others skip the test)."""
    from locator.db import driver_rows

    reads: list[str] = []

    def recording(connection: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        if "<->" in sql:
            reads.append(sql)
        return driver_rows(connection, sql, *args, **kwargs)

    monkeypatch.setattr("locator.places.spatial.driver_rows", recording)
    return reads


def _require_postgis(engine: Engine) -> None:
    from locator.places.spatial import has_postgis

    if engine.dialect.name != "postgresql":
        pytest.skip("PostGIS is a PostgreSQL extension; SQLite uses the band index")
    with engine.connect() as conn:
        if not has_postgis(conn, "facility"):
            pytest.skip("this PostgreSQL has no PostGIS: the band index path is tested")


def test_on_postgis_a_page_edge_among_sites_at_one_point_is_one_read(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The twelve sites at one point straddle the edge of a 7-row page: one statement reads
    past them (and counts the total), in the order a brute force gives."""
    _require_postgis(store)
    reads = _knn_reads(monkeypatch)
    origin = Point(*TIE_POINT)
    expected = brute_force(all_rows(store), FacilityQuery(origin=origin, radius=30), None)
    for page in (1, 2):
        query = FacilityQuery(origin=origin, radius=30, per_page=7, page=page)
        reads.clear()
        found = search(store, query)
        assert [h.id for h in found.hits] == [r.id for r in expected[(page - 1) * 7 : page * 7]]
        assert (found.total, found.total_exact) == (len(expected), True)
        assert len(reads) == 1


def test_on_postgis_a_read_cut_by_its_limit_reads_on(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the bound one row past the page, the ties at a page's edge need wider reads: the
    pages and totals are still a brute force's."""
    from locator.places import spatial

    _require_postgis(store)
    monkeypatch.setattr(spatial, "_knn_bound", lambda _connection, ahead: ahead + 1)
    reads = _knn_reads(monkeypatch)
    rows = all_rows(store)
    widened = 0
    for origin, miles, services in [(Point(*TIE_POINT), 30, ()), *CASES[:6]]:
        query = FacilityQuery(origin=origin, radius=miles, categories=services, per_page=5)
        expected = brute_force(rows, query, None)
        got = _read_pages(store, query, stop=min(len(expected), 30))
        assert [h.id for h in got] == [r.id for r in expected[: len(got)]], (origin, miles)
        reads.clear()
        first = search(store, query)
        widened += len(reads) > 1
        if len(expected) <= TOTAL_CAP:
            assert (first.total, first.total_exact) == (len(expected), True)
    assert widened  # the twelve sites at one point do not fit a bound of one row past 5


def test_before_postgresql_15_the_knn_read_still_gives_a_brute_forces_pages(
    store: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the window's run condition (PostgreSQL 14 and older) the read is bounded a few
    rows past the page (``_knn_bound``): the same pages and totals, the ties included."""
    from locator.places import spatial

    _require_postgis(store)
    monkeypatch.setattr(store.dialect, "server_version_info", (14, 13))
    with store.connect() as conn:
        assert spatial._knn_bound(conn, 25) == 30
    rows = all_rows(store)
    for origin, miles, services in [(Point(*TIE_POINT), 30, ()), *CASES]:
        query = FacilityQuery(origin=origin, radius=miles, categories=services, per_page=5)
        expected = brute_force(rows, query, None)
        got = _read_pages(store, query, stop=min(len(expected), 30))
        assert [h.id for h in got] == [r.id for r in expected[: len(got)]], (origin, miles)
        first = search(store, query)
        if len(expected) <= TOTAL_CAP:
            assert (first.total, first.total_exact) == (len(expected), True)
