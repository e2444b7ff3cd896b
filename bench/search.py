"""Search latency at scale, next to baselines measured in the same run.

Loads N synthetic facilities into a temporary database (they exist only there and are never
served), then times, for 10-, 25- and 100-mile searches with and without a service filter:

  (a) the project's own search call, first page of 25 with distances (locator.search);
  (b) the floor: the bare spatial-index query with the same filters, returning candidate ids
      (the covering latitude-band index ix_spatial_facility on both databases), no ORM;
  (c) a SQL full scan computing every haversine distance, sorted, first 25;
  (d) numpy haversine over all rows held in memory (with the filter as a mask), first 25;
  (e) on PostgreSQL with PostGIS: the bare KNN query, ``ORDER BY geog <-> origin LIMIT 25`` on
      the GiST index inside the radius's box, same filters, ids only (no ranking, no rows);
  (f) the project's page read alone: ``places.spatial.nearest_page`` as (a) calls it, with the
      page's columns (and on PostGIS its capped total, counted in the same statement), on a
      connection held open (no checkout, no listing objects): (a) - (f) is what the search
      adds around its statement.

Figures are p50/p95 in milliseconds and ratios against (b), (c), (d) and (e) from the same
run, since the machines are shared and noisy; the last lines sum up the targets of issue 21
(SQLite: 100-mile p95 over 10-mile p95; PostgreSQL: a/e p95 at each radius, and f/e beside).
Run: .venv/bin/python bench/search.py --help. A large SQLite dataset can be built once and
reused: ``--keep-db /tmp/bench-1m.db`` loads it the first time and only reads it after.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from locator.db import make_engine, migrate, reading_engine
from locator.facilities.search import (
    HIT_FIELDS,
    TOTAL_CAP,
    FacilityQuery,
    facility_conditions,
    find_nearby,
)
from locator.facilities.taxonomy import category, category_mask, joined_codes, service_bits
from locator.models import Facility, FacilityService
from locator.places.geo import (
    EARTH_RADIUS_KM,
    KM_PER_MILE,
    Point,
    bounding_boxes,
    lat_band,
    lat_bands,
    unit_vector,
)
from locator.places.spatial import RankedQuery, nearest_page

FILTER = "detox"
FILTER_CODES = sorted(category(FILTER).codes)
OTHER_CODES = [
    "SA",
    "MH",
    "OP",
    "ORT",
    "OIT",
    "RES",
    "RS",
    "RL",
    "TELE",
    "MD",
    "MC",
    "PI",
    "SF",
    "SS",
    "ADLT",
    "YAD",
    "SP",
    "VET",
    "BU",
    "NU",
    "MU",
    "CBT",
    "MOTI",
    "RELP",
]
RADII = (10, 25, 100)
CONUS = (25.0, 49.0, -124.0, -67.0)


@dataclass
class Dataset:
    lat: np.ndarray
    lon: np.ndarray
    has_filter: np.ndarray
    centres: list[tuple[float, float]]


def city_centres(count: int, rng: random.Random) -> list[tuple[float, float]]:
    """Real US city centres (from the embedded gazetteer) to cluster synthetic rows around."""
    import zipcodes

    seen: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for row in zipcodes.list_all():  # type: ignore[no-untyped-call]
        lat, lon = float(row["lat"]), float(row["long"])
        if (lat == 0 and lon == 0) or row["state"] in {"AA", "AE", "AP"}:
            continue
        seen.setdefault((row["city"], row["state"]), []).append((lat, lon))
    biggest = sorted(seen.values(), key=len, reverse=True)[:count]
    return [(statistics.fmean(p[0] for p in c), statistics.fmean(p[1] for p in c)) for c in biggest]


def make_dataset(n: int, kind: str, rng: random.Random) -> Dataset:
    nrng = np.random.default_rng(rng.randrange(2**32))
    centres = city_centres(300, rng)
    if kind == "uniform":
        s, north, w, e = CONUS
        lat = nrng.uniform(s, north, n)
        lon = nrng.uniform(w, e, n)
    else:
        pick = nrng.integers(0, len(centres), n)
        base = np.array(centres)[pick]
        spread_deg = nrng.exponential(15.0, n) / 69.0  # most within ~15 miles of a centre
        angle = nrng.uniform(0, 2 * math.pi, n)
        lat = np.clip(base[:, 0] + spread_deg * np.sin(angle), -89, 89)
        lon = base[:, 1] + spread_deg * np.cos(angle) / np.cos(np.radians(base[:, 0]))
        lon = (lon + 540) % 360 - 180
    has_filter = nrng.random(n) < 0.2
    return Dataset(lat, lon, has_filter, centres)


def load(engine: Engine, data: Dataset, rng: random.Random) -> None:
    """Insert the synthetic rows with Core bulk inserts (the import pipeline has its own bench)."""
    n = len(data.lat)
    today = date(2026, 11, 1)
    batch = 20_000
    for start in range(0, n, batch):
        stop = min(n, start + batch)
        rows = []
        services = []
        for i in range(start, stop):
            lat, lon = float(data.lat[i]), float(data.lon[i])
            x, y, z = unit_vector(lat, lon)
            rows.append(
                {
                    "id": i + 1,
                    "source": "bench",
                    "source_key": f"b{i}",
                    "name": f"Synthetic {i}",
                    "state": "ZZ",
                    "latitude": lat,
                    "longitude": lon,
                    "lat_band": lat_band(lat),
                    "geo_x": x,
                    "geo_y": y,
                    "geo_z": z,
                    "facility_types": ",SA,",
                    "first_seen": today,
                    "last_seen": today,
                    "unmapped_services": [],
                }
            )
            codes = set(rng.sample(OTHER_CODES, 6))
            if data.has_filter[i]:
                codes.add(rng.choice(FILTER_CODES))
            services.extend({"facility_id": i + 1, "code": c} for c in codes)
            rows[-1]["service_bits_lo"], rows[-1]["service_bits_hi"] = service_bits(codes, ["SA"])
            rows[-1]["service_codes"] = joined_codes(codes)
        with engine.begin() as conn:
            conn.execute(insert(Facility), rows)
            conn.execute(insert(FacilityService), services)
    if engine.dialect.name == "postgresql":
        # The rows carry their own ids: move the sequence past them, so an import into the
        # same database (bench/load.sh's import runs) gets fresh ids.
        with engine.begin() as conn:
            conn.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('facility', 'id'), "
                    "(SELECT coalesce(max(id), 1) FROM facility))"
                )
            )
        # VACUUM sets the visibility map, so PostgreSQL can answer from the covering index
        # alone (index-only scans), as it would on a store autovacuum has caught up with.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    # Measure on fresh connections, as a web worker has: a loader's connection can keep plans
    # made before ANALYZE (a loader artefact, not what searches see).
    engine.dispose()


def origins(data: Dataset, kind: str, count: int, rng: random.Random) -> list[Point]:
    points = []
    for _ in range(count):
        if kind == "uniform":
            s, north, w, e = CONUS
            points.append(Point(rng.uniform(s + 2, north - 2), rng.uniform(w + 2, e - 2)))
        else:
            lat, lon = rng.choice(data.centres)
            points.append(Point(lat + rng.gauss(0, 0.05), lon + rng.gauss(0, 0.05)))
    return points


def floor_query(engine: Engine, key: str = FILTER) -> Callable[[Point, float, bool], int]:
    """(b) The bare index query: candidate ids in the box(es), same filters, raw DB-API.

    It reads the same covering index the search uses (latitude band, longitude, active flag,
    service bits) and returns every id in the bounding box, without ranking or distances.
    ``key`` is the service category applied when the call is ``filtered`` (bench/national.py).
    """
    column, mask = category_mask(key)
    service = f" AND (t.{column} & {mask}) != 0"
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    raw = engine.raw_connection()

    def run(origin: Point, miles: float, filtered: bool) -> int:
        cursor = raw.cursor()
        found = 0
        for box in bounding_boxes(origin, miles * KM_PER_MILE):
            bands = lat_bands(box)
            marks = ", ".join([mark] * len(bands))
            sql = (
                f"SELECT t.id FROM facility t WHERE t.lat_band IN ({marks})"
                f" AND t.longitude BETWEEN {mark} AND {mark} AND t.active"
            )
            cursor.execute(sql + (service if filtered else ""), (*bands, box.west, box.east))
            found += len(cursor.fetchall())
        cursor.close()
        return found

    return run


def full_scan_query(engine: Engine) -> Callable[[Point, float, bool], int]:
    """(c) A SQL full scan computing every haversine distance, first 25."""
    exists = (
        " AND EXISTS (SELECT 1 FROM facility_service s WHERE s.facility_id = f.id AND s.code IN ("
        + ",".join(f"'{c}'" for c in FILTER_CODES)
        + "))"
    )
    mark = "?" if engine.dialect.name == "sqlite" else "%s"
    distance = (
        f"2 * {EARTH_RADIUS_KM} * asin(sqrt(power(sin(radians(f.latitude - {mark}) / 2), 2) + "
        f"cos(radians({mark})) * cos(radians(f.latitude)) * "
        f"power(sin(radians(f.longitude - {mark}) / 2), 2)))"
    )
    raw = engine.raw_connection()

    def run(origin: Point, miles: float, filtered: bool) -> int:
        sql = (
            f"SELECT id, d FROM (SELECT f.id, {distance} AS d FROM facility f WHERE f.active"
            + (exists if filtered else "")
            + f") t WHERE d <= {mark} ORDER BY d LIMIT 25"
        )
        cursor = raw.cursor()
        cursor.execute(sql, (origin.lat, origin.lat, origin.lon, miles * KM_PER_MILE))
        found = len(cursor.fetchall())
        cursor.close()
        return found

    return run


def knn_query(engine: Engine, key: str = FILTER) -> Callable[[Point, float, bool], int]:
    """(e) The bare PostGIS KNN query: the 25 nearest ids inside the radius's box, raw DB-API."""
    column, mask = category_mask(key)
    origin_sql = "CAST(ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS geography)"
    raw = engine.raw_connection()

    def run(origin: Point, miles: float, filtered: bool) -> int:
        service = f" AND (t.{column} & {mask}) != 0" if filtered else ""
        sql = (
            f"SELECT t.id FROM facility t WHERE t.active{service} "
            f"AND t.geog && _ST_Expand({origin_sql}, %s) "
            f"ORDER BY t.geog <-> {origin_sql} LIMIT 25"
        )
        reach = miles * KM_PER_MILE * 1000
        cursor = raw.cursor()
        cursor.execute(sql, (origin.lon, origin.lat, reach, origin.lon, origin.lat))
        found = len(cursor.fetchall())
        cursor.close()
        return found

    return run


def has_geog(engine: Engine) -> bool:
    with engine.connect() as conn:
        return bool(
            conn.execute(
                text("SELECT 1 FROM pg_indexes WHERE indexname = 'ix_spatial_facility_geog'")
            ).first()
        )


def numpy_query(data: Dataset) -> Callable[[Point, float, bool], int]:
    """(d) numpy haversine over every row in memory, masked by the filter, first 25."""
    lat = np.radians(data.lat)
    lon = np.radians(data.lon)
    cos_lat = np.cos(lat)

    def run(origin: Point, miles: float, filtered: bool) -> int:
        olat, olon = math.radians(origin.lat), math.radians(origin.lon)
        h = np.sin((lat - olat) / 2) ** 2 + math.cos(olat) * cos_lat * np.sin((lon - olon) / 2) ** 2
        km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(h))
        ok = km <= miles * KM_PER_MILE
        if filtered:
            ok &= data.has_filter
        idx = np.flatnonzero(ok)
        if len(idx) > 25:
            idx = idx[np.argpartition(km[idx], 25)[:25]]
        return len(idx[np.argsort(km[idx])])

    return run


def project_query(engine: Engine, key: str = FILTER) -> Callable[[Point, float, bool], int]:
    """(a) The project's own search: a fresh connection, first page of 25 with distances.

    The connection is the one the search API checks out for each request (``@reads_only``:
    from the app's reading engine, built once per app as here); closing it returns it.
    """
    reader = reading_engine(engine)

    def run(origin: Point, miles: float, filtered: bool) -> int:
        with reader.connect() as connection:
            page = find_nearby(
                session=connection,
                query=FacilityQuery(
                    origin=origin,
                    radius=miles,
                    categories=(key,) if filtered else (),
                    per_page=25,
                ),
            )
            return len(page.hits)

    return run


def page_read_query(engine: Engine, key: str = FILTER) -> Callable[[Point, float, bool], int]:
    """(f) The project's page statement alone, as find_nearby runs it, on an open connection."""
    connection = reading_engine(engine).connect()
    shapes = {
        filtered: RankedQuery(
            "facility",
            facility_conditions(
                FacilityQuery(Point(0, 0), 1, categories=(key,) if filtered else ())
            )[0],
            HIT_FIELDS,
        )
        for filtered in (False, True)
    }

    def run(origin: Point, miles: float, filtered: bool) -> int:
        page = nearest_page(
            connection,
            shapes[filtered],
            origin,
            miles * KM_PER_MILE,
            limit=25,
            offset=0,
            count_cap=TOTAL_CAP + 1,
        )
        return len(page.rows)

    return run


def timed(
    fn: Callable[[Point, float, bool], int], points: list[Point], miles: float, filtered: bool
) -> list[float]:
    for p in points[:3]:
        fn(p, miles, filtered)
    out = []
    for p in points:
        start = time.perf_counter()
        fn(p, miles, filtered)
        out.append((time.perf_counter() - start) * 1000)
    return out


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_one(
    engine: Engine,
    data: Dataset,
    kind: str,
    n: int,
    queries: int,
    rng: random.Random,
    skip_full_scan: bool,
) -> Iterator[str]:
    points = origins(data, kind, queries, rng)
    fns = {
        "a": project_query(engine),
        "b": floor_query(engine),
        "d": numpy_query(data),
        "f": page_read_query(engine),
    }
    if not skip_full_scan:
        fns["c"] = full_scan_query(engine)
    if engine.dialect.name == "postgresql" and has_geog(engine):
        fns["e"] = knn_query(engine)
    p95: dict[tuple[int, bool], dict[str, float]] = {}
    for miles in RADII:
        for filtered in (False, True):
            res = {k: timed(f, points, miles, filtered) for k, f in fns.items()}
            p = {k: (pct(v, 0.5), pct(v, 0.95)) for k, v in res.items()}
            line = (
                f"{engine.dialect.name:10} {kind:9} {n:>8} {miles:>4}mi "
                f"{'detox' if filtered else 'any':5} | "
                + " ".join(f"{k}:{p[k][0]:7.2f}/{p[k][1]:7.2f}" for k in sorted(p))
                + f" | a/b p95 {p['a'][1] / p['b'][1]:5.2f}x"
            )
            if "c" in p:
                line += f" c/a p95 {p['c'][1] / p['a'][1]:6.1f}x"
            line += f" d/a p95 {p['d'][1] / p['a'][1]:6.2f}x"
            if "e" in p:
                line += f" a/e p95 {p['a'][1] / p['e'][1]:5.2f}x"
            p95[(miles, filtered)] = {k: v[1] for k, v in p.items()}
            yield line
    yield from targets(engine.dialect.name, kind, n, p95)


def targets(
    dialect: str, kind: str, n: int, p95: dict[tuple[int, bool], dict[str, float]]
) -> Iterator[str]:
    """Sum up issue 21's targets from this run's p95 figures."""
    for filtered in (False, True):
        label = "detox" if filtered else "any"
        far, near = p95[(100, filtered)]["a"], p95[(10, filtered)]["a"]
        yield (
            f"= {dialect} {kind} {n} {label}: a p95 100mi/10mi {far / near:5.2f}x "
            f"(target <= 2x on SQLite)"
        )
        if "e" in p95[(10, filtered)]:
            for name in ("a", "f"):
                ratios = " ".join(
                    f"{miles}mi {p95[(miles, filtered)][name] / p95[(miles, filtered)]['e']:4.2f}x"
                    for miles in RADII
                )
                aim = "(target <= 1.5x)" if name == "a" else "(the page read alone)"
                yield f"= {dialect} {kind} {n} {label}: {name}/e p95 {ratios} {aim}"


def pg_engine(url: str) -> Engine:
    parsed = make_url(url)
    admin = make_engine(
        parsed.set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{parsed.database}"'))
        conn.execute(text(f'CREATE DATABASE "{parsed.database}"'))
    admin.dispose()
    return make_engine(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes", default="10000,100000", help="comma list, e.g. 10000,100000,1000000"
    )
    parser.add_argument("--kinds", default="uniform,clustered")
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://127.0.0.1:5432/locator_bench",
        help="a database the benchmark may drop and recreate",
    )
    parser.add_argument("--queries", type=int, default=60)
    parser.add_argument(
        "--keep-db",
        default="",
        help="SQLite only, one size and kind: keep the database at this path and reuse it",
    )
    parser.add_argument(
        "--skip-full-scan-above",
        type=int,
        default=1_000_000,
        help="skip (c) above this many rows (it is slow by design)",
    )
    args = parser.parse_args(argv)
    print(
        "columns: p50/p95 ms of (a) project search, (b) index floor, (c) SQL full scan, (d) numpy"
    )
    for database in args.databases.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            for kind in args.kinds.split(","):
                # One generator per purpose, so a reused database gets the same origins.
                data = make_dataset(n, kind, random.Random(f"{n}{kind}"))
                with tempfile.TemporaryDirectory() as tmp:
                    kept = Path(args.keep_db) if args.keep_db and database == "sqlite" else None
                    path = kept or Path(tmp) / "bench.db"
                    reuse = kept is not None and kept.exists()
                    if database == "sqlite":
                        engine = make_engine(f"sqlite:///{path}")
                    else:
                        engine = pg_engine(args.pg_url)
                    migrate(engine)
                    started = time.perf_counter()
                    if not reuse:
                        load(engine, data, random.Random(f"load{n}{kind}"))
                    print(
                        f"# {database} {kind} {n}: "
                        + ("reused " + str(path) if reuse else "loaded")
                        + f" in {time.perf_counter() - started:.1f}s",
                        flush=True,
                    )
                    queries = random.Random(f"queries{n}{kind}")
                    for line in bench_one(
                        engine, data, kind, n, args.queries, queries, n > args.skip_full_scan_above
                    ):
                        print(line, flush=True)
                    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
