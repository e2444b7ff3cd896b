"""Index-backed radius queries as prepared SQL, shared by every table with coordinates.

A radius search is one statement. For each bounding box (two across the 180° meridian) it
seeks the latitude bands the box spans in the covering index ``ix_spatial_<table>`` (lat_band,
longitude, unit vector, active, service bits) and reads the run between the box's west and
east longitudes; the caller's conditions filter the candidates, the radius cuts them, and the
dot product of unit vectors (``geo_x``, ``geo_y``, ``geo_z``) ranks them exactly like
great-circle distance without trigonometry in SQL. A window count gives the total, and only
the page's rows are joined back to the table.

Conditions are SQL fragments on the alias ``t`` built by the caller from validated constants
(category bit masks, facility types), never from request text; values that come from a
request are bound parameters. Statements are rendered once per shape for the driver's own
parameter style and cached, so the hot path binds numbers and nothing else: measured in
bench/search.py, building or compiling SQLAlchemy statements per request cost more than the
query itself.

A nearest-first page (``nearest_page``) reads no more of the circle than the page needs. With
PostGIS (migration 0014: the generated ``geog`` column and its GiST index on active rows) it is
one KNN statement, ``ORDER BY geog <-> origin`` inside the radius's box, which stops reading
at the first row that cannot rank on the page (sites sharing a point included); without it
(SQLite, or PostgreSQL without the extension) it is the ranked statement above over growing
discs, from ``FIRST_RING_KM`` up to the radius (each at least twice the last), stopping at
the first disc that holds the page and one row more: nothing outside that disc can come
before a row inside it. Both order the page exactly as ``ranked_page`` does (dot product
descending, then id), so the results are the same rows in the same order as a read of the
whole circle.
"""

from __future__ import annotations

import math
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Engine

from locator.db import driver_rows
from locator.places.geo import Point, bounding_boxes, lat_band, lat_bands, min_dot, unit_vector

DOT = "(t.geo_x * :ux + t.geo_y * :uy + t.geo_z * :uz)"
INDEX_COLUMNS = ("lat_band", "geo_x", "geo_y", "geo_z")


def index_columns(latitude: float | None, longitude: float | None) -> dict[str, Any]:
    """Return the spatial-index columns of a row at this point (all None without one).

    Every writer of a table with coordinates stores these beside latitude and longitude, so
    the queries below can seek the row's latitude band and rank it by dot product.
    """
    if latitude is None or longitude is None:
        return dict.fromkeys(INDEX_COLUMNS)
    x, y, z = unit_vector(latitude, longitude)
    return {"lat_band": lat_band(latitude), "geo_x": x, "geo_y": y, "geo_z": z}


_NAMED = re.compile(r":(\w+)")


@dataclass(frozen=True, slots=True)
class RankedQuery:
    """What a ranked page query needs besides its parameters."""

    table: str
    conditions: tuple[str, ...] = ()
    columns: tuple[str, ...] = ("id",)
    extra: tuple[str, ...] = ()


def ranked_page(
    connection: Connection,
    query: RankedQuery,
    origin: Point,
    radius_km: float | None,
    *,
    limit: int,
    offset: int,
    params: dict[str, Any] | None = None,
) -> list[Any]:
    """Return one page of rows (plain tuples), best first: (total, dot, *columns, *extra).

    With no radius every row meeting the conditions is ranked and rows without coordinates
    come last.
    """
    sql, values = page_statement(
        connection.dialect.name,
        query,
        origin,
        radius_km,
        limit=limit,
        offset=offset,
        params=params,
    )
    return driver_rows(connection, sql, values)


def page_statement(
    dialect: str,
    query: RankedQuery,
    origin: Point,
    radius_km: float | None,
    *,
    limit: int,
    offset: int,
    params: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """Return the driver-ready SQL and parameters of one ranked page."""
    values: dict[str, Any] = dict(params or {})
    ux, uy, uz = unit_vector(origin.lat, origin.lon)
    values.update(ux=ux, uy=uy, uz=uz, limit=limit, offset=offset)
    shape: tuple[int, ...] = ()
    if radius_km is not None:
        values["min_dot"] = min_dot(radius_km)
        shape = _box_values(origin, radius_km, values)
    return _rendered(dialect, query, shape, radius_km is not None), values


def _box_values(
    origin: Point, radius_km: float, values: dict[str, Any], *, arrays: bool = False
) -> tuple[int, ...]:
    """Put each box's bands and longitudes in ``values``; return the bands a box (the shape).

    Bands are bound one by one (``b0_0, b0_1``), or with ``arrays`` as one array a box
    (``b0``, PostgreSQL): then the statement's text is the same whatever the radius, so a
    connection prepares it once and PostgreSQL plans it a few times, not once more per number
    of bands.
    """
    shape: list[int] = []
    for index, box in enumerate(bounding_boxes(origin, radius_km)):
        bands = lat_bands(box)
        shape.append(len(bands))
        if arrays:
            values[f"b{index}"] = bands
        else:
            values.update({f"b{index}_{n}": band for n, band in enumerate(bands)})
        values[f"w{index}"], values[f"e{index}"] = box.west, box.east
    return tuple(shape)


def driver_sql(dialect: str, sql: str) -> str:
    """Return SQL written with :name parameters in the driver's own style."""
    if dialect == "sqlite":
        return sql  # sqlite3 takes :name parameters as they are
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def in_list(name: str, values: Sequence[Any]) -> tuple[str, dict[str, Any]]:
    """Return an IN list's placeholders (``:name0, :name1``) and their values, to bind."""
    marks = ", ".join(f":{name}{n}" for n in range(len(values)))  # placeholders, never values
    return marks, {f"{name}{n}": value for n, value in enumerate(values)}


@lru_cache(maxsize=1024)
def _rendered(dialect: str, query: RankedQuery, shape: tuple[int, ...], radius: bool) -> str:
    return driver_sql(dialect, ranked_sql(query, shape, radius))


def ranked_sql(query: RankedQuery, shape: tuple[int, ...], radius: bool) -> str:
    """Return the statement for a query with ``shape[i]`` latitude bands in box ``i``."""
    table = query.table
    where = " AND ".join(query.conditions) or "1 = 1"
    if not radius:
        inner = f"SELECT t.id AS id, {DOT} AS dot FROM {table} t WHERE {where}"
    else:
        inner = " UNION ALL ".join(
            f"SELECT t.id AS id, {DOT} AS dot FROM {table} t "
            f"WHERE t.lat_band IN ({', '.join(f':b{i}_{n}' for n in range(bands))}) "
            f"AND t.longitude BETWEEN :w{i} AND :e{i} AND {where} AND {DOT} >= :min_dot"
            for i, bands in enumerate(shape)
        )
    selected = ", ".join([f"t.{name}" for name in query.columns] + list(query.extra))
    return (
        f"WITH page AS (SELECT id, dot, count(*) OVER () AS total FROM ({inner}) candidates "
        "ORDER BY dot DESC NULLS LAST, id LIMIT :limit OFFSET :offset) "
        f"SELECT page.total, page.dot, {selected} FROM page JOIN {table} t ON t.id = page.id "
        "ORDER BY page.dot DESC NULLS LAST, page.id"
    )


# The first disc of an expanding search: about 5 miles, where a city's first page usually lies
# (bench/search.py's clustered sets); each doubling reads about four times the area, so a
# sparse place costs a few more cheap reads, never much more than its last disc.
FIRST_RING_KM = 8.0
# Rows whose KNN distances differ by less than this (metres) may rank either way by dot product
# (its rounding near an origin is, by estimate, about 0.1 m), so a KNN read ends only at a row
# farther than this past the page's edge.
TIE_METRES = 1.0


@dataclass(frozen=True, slots=True)
class NearestPage:
    """One page of a nearest-first search.

    ``rows`` are (dot, *columns, *extra), best first. ``more`` tells whether a row beyond the
    page lies inside the radius. ``total`` is the exact number of rows inside the radius when
    the search happened to read them all, else None; ``seen`` is how many it saw there (a
    lower bound of the total). ``counted`` is the number of rows inside the radius up to the
    asked ``count_cap``, when the page's own statement counted them (PostGIS), else None.
    """

    rows: list[tuple[Any, ...]]
    more: bool
    total: int | None
    seen: int
    counted: int | None = None


def nearest_page(
    connection: Connection,
    query: RankedQuery,
    origin: Point,
    radius_km: float,
    *,
    limit: int,
    offset: int,
    params: dict[str, Any] | None = None,
    count_cap: int | None = None,
) -> NearestPage:
    """Return one page of rows inside ``radius_km`` of ``origin``, nearest first.

    ``query.columns`` must include ``id`` (the tie-break). Same rows and order as
    ``ranked_page`` over the whole circle. With ``count_cap`` and PostGIS, the same statement
    also counts the rows inside the radius as ``count_within`` does (``NearestPage.counted``):
    one round trip and one snapshot for the page and its total.
    """
    if has_postgis(connection, query.table):
        page = _Page(limit, offset, count_cap)
        return _knn_page(connection, query, origin, radius_km, page, params or {})
    return _ring_page(connection, query, origin, radius_km, limit, offset, params or {})


def _ring_page(
    connection: Connection,
    query: RankedQuery,
    origin: Point,
    radius_km: float,
    limit: int,
    offset: int,
    params: dict[str, Any],
) -> NearestPage:
    """Search growing discs until one holds the page and one row more (or the radius is read).

    A disc that held too few rows grows by the area it seems to need (rows grow with the
    area, so the radius with the square root of the shortfall, and a quarter more), at least
    doubling and at most eightfold; an empty one fourfold. On the national store, where a
    place's first 8 km often hold a few sites, that took 2.3 statements a 25-mile search
    instead of 2.8 (doubling), and 7% off its mean; the synthetic city stores, whose first
    disc usually holds the page, were unchanged (scratch bench, 600 searches each).
    """
    reach = min(radius_km, FIRST_RING_KM)
    wanted = offset + limit + 1
    while True:
        rows = ranked_page(
            connection, query, origin, reach, limit=limit + 1, offset=offset, params=params
        )
        inside = int(rows[0][0]) if rows else 0  # the window count: rows inside this disc
        if inside > offset + limit or reach >= radius_km:
            page = [row[1:] for row in rows[:limit]]
            whole = reach >= radius_km and (bool(rows) or offset == 0)
            return NearestPage(page, inside > offset + limit, inside if whole else None, inside)
        grow = 4.0 if inside == 0 else min(8.0, max(2.0, 1.25 * math.sqrt(wanted / inside)))
        reach = min(radius_km, reach * grow)


@dataclass(frozen=True, slots=True)
class _Page:
    limit: int
    offset: int
    count_cap: int | None


def _knn_page(
    connection: Connection,
    query: RankedQuery,
    origin: Point,
    radius_km: float,
    page: _Page,
    params: dict[str, Any],
) -> NearestPage:
    """Read the nearest rows by PostGIS KNN, then rank them exactly like ``ranked_page``.

    The statement (``knn_statement``) reads nearest first until no row after it can rank
    among the first ``offset + limit``, so sites sharing a point at the page's edge (a ZIP
    centre) cost one statement, not a second read. Its LIMIT only bounds the read; a read
    that reaches it with the edge still open reads again, twice as far.
    """
    limit, offset = page.limit, page.offset
    ahead = offset + limit  # the rows up to the page's end
    fetch = _knn_bound(connection, ahead)
    # The count reads at least as far as the page and a few rows: a deep page (the fourth of
    # 25) in a circle of up to ahead + 4 rows knows its exact total, as a read of that many
    # rows did before.
    count_cap = None if page.count_cap is None else max(page.count_cap, ahead + 5)
    asked, counted = count_cap, None
    while True:
        sql, values = knn_statement(query, origin, radius_km, ahead, fetch, params, count_cap)
        rows = driver_rows(connection, sql, values, binary=True, prepare=True)
        # rows are (count, closer, rank, metres, dot, *columns, *extra) by KNN distance;
        # ``closer`` grows along them, so below ``ahead`` on the last of ``fetch`` rows means
        # the LIMIT cut the read before the page's edge closed.
        if count_cap is not None and len(rows) > ahead:
            counted = int(rows[-1][0])  # only the rows past the page carry the count
            count_cap = None  # a wider read does not count again
        if len(rows) < fetch or rows[-1][1] >= ahead:
            break
        fetch *= 2
    key = query.columns.index("id") + 5
    ranked = sorted(rows, key=lambda row: (-row[4], row[key]))
    found = [row[4:] for row in ranked[offset : offset + limit]]
    seen = len(rows)
    # No row past the page: the statement stopped at the end of the circle, so it read it all;
    # a count below its cap counted them all.
    total = seen if seen <= ahead else None
    if counted is not None and asked is not None and counted < asked:
        total = counted
    if counted is not None and page.count_cap is not None:
        counted = min(counted, page.count_cap)
    return NearestPage(found, seen > ahead, total, seen, counted)


def _knn_bound(connection: Connection, ahead: int) -> int:
    """Return the first LIMIT of a KNN read for a page ending ``ahead`` rows in.

    PostgreSQL 15 stops the scan where the window's run condition fails (usually after
    ``ahead + 2`` rows), so the bound is generous: on the real 2022 directories, placed at ZIP
    centres, twice the page read no search twice (bench: 300 ZIPs x 10/25/100 mi). Older
    servers read the whole bound, so it stays a few rows past the page, as before.
    """
    version = connection.dialect.server_version_info or (0,)
    return 2 * (ahead + 1) if version >= (15,) else ahead + 5


def knn_statement(
    query: RankedQuery,
    origin: Point,
    radius_km: float,
    ahead: int,
    fetch: int,
    params: dict[str, Any],
    count_cap: int | None = None,
) -> tuple[str, dict[str, Any]]:
    """Return the driver-ready KNN statement of a page ending ``ahead`` rows in, and its values.

    It reads at most ``fetch`` rows. Its rows are (count, closer, rank, metres, dot, *columns,
    *extra) nearest first: ``closer`` is the number of rows read that are more than
    TIE_METRES nearer, ``rank`` the row's place (from 1). The count is ``count_within``'s (up
    to ``count_cap``) on the rows past ``ahead``, else NULL (and NULL without a cap).
    """
    ux, uy, uz = unit_vector(origin.lat, origin.lon)
    values: dict[str, Any] = dict(params)
    values.update(ux=ux, uy=uy, uz=uz, lat=origin.lat, lon=origin.lon, fetch=fetch)
    values.update(ahead=ahead, tie=TIE_METRES)
    # The box is widened past the sphere's circle (PostGIS measures on its own sphere); the
    # dot-product cut then keeps exactly the rows inside the radius.
    values.update(min_dot=min_dot(radius_km), reach=radius_km * 1000 * 1.01 + 100)
    boxes: int | None = None
    if count_cap is not None:
        boxes = len(_box_values(origin, radius_km, values, arrays=True))
        values["cap"] = count_cap
    return _knn_rendered(query, boxes), values


ORIGIN = "CAST(ST_SetSRID(ST_MakePoint(:lon, :lat), 4326) AS geography)"


@lru_cache(maxsize=256)
def _knn_rendered(query: RankedQuery, count_boxes: int | None) -> str:
    """Return the KNN statement (psycopg's parameter style) for a query's shape.

    The radius is an index condition on the box around the circle (``&&`` with _ST_Expand,
    which the planner can weigh from statistics), not ST_DWithin: with ST_DWithin the planner
    underestimates the rows and reads the whole box instead of walking the index nearest
    first. The dot-product cut keeps exactly the rows ``ranked_sql`` keeps.

    Where to stop is decided in the statement: a row with ``ahead`` rows more than
    TIE_METRES nearer than it cannot rank among them by dot product, nor can any after it, so
    the window count ``closer`` with the condition ``closer <= :ahead`` ends the read there
    (PostgreSQL 15's run condition stops the scan; the LIMIT inside bounds it on any
    version). The row after the page's edge that proves a next page is kept.

    The count (an uncorrelated subquery, run once and only when a row lies past the page: a
    read that ended inside the page saw the whole circle) reads the band index as
    ``count_within`` does.
    """
    where = " AND ".join((*query.conditions, f"t.geog && _ST_Expand({ORIGIN}, :reach)"))
    selected = ", ".join([f"t.{name}" for name in query.columns] + list(query.extra))
    counted = "NULL"
    if count_boxes is not None:
        counted = f"CASE WHEN k.rn > :ahead THEN ({_count_any_sql(query, count_boxes)}) END"
    knn = (
        f"SELECT t.geog <-> {ORIGIN} AS metres, {DOT} AS dot, {selected} "
        f"FROM {query.table} t WHERE {where} AND {DOT} >= :min_dot "
        "ORDER BY metres LIMIT :fetch"
    )
    sql = (
        f"SELECT {counted} AS within, k.* FROM ("
        "SELECT count(*) OVER w AS closer, row_number() OVER w AS rn, knn.* "
        f"FROM ({knn}) knn "
        "WINDOW w AS (ORDER BY knn.metres RANGE BETWEEN UNBOUNDED PRECEDING AND :tie PRECEDING)"
        ") k WHERE k.closer <= :ahead"
    )
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def count_within(
    connection: Connection,
    query: RankedQuery,
    origin: Point,
    radius_km: float,
    *,
    cap: int,
    params: dict[str, Any] | None = None,
) -> int:
    """Count the rows inside the radius, reading at most ``cap`` of them (so at most ``cap``).

    It reads the covering latitude-band index, like ``ranked_sql`` without the ranking.
    """
    values: dict[str, Any] = dict(params or {})
    ux, uy, uz = unit_vector(origin.lat, origin.lon)
    values.update(ux=ux, uy=uy, uz=uz, min_dot=min_dot(radius_km), cap=cap)
    shape = _box_values(origin, radius_km, values)
    sql = _count_rendered(connection.dialect.name, query, shape)
    return int(driver_rows(connection, sql, values)[0][0])


@lru_cache(maxsize=256)
def _count_rendered(dialect: str, query: RankedQuery, shape: tuple[int, ...]) -> str:
    sql = _count_sql(query, shape)
    if dialect == "sqlite":
        return sql
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


def _count_sql(query: RankedQuery, shape: tuple[int, ...]) -> str:
    """Return the capped count of rows inside the radius (``:name`` parameters)."""
    bands = [", ".join(f":b{i}_{n}" for n in range(count)) for i, count in enumerate(shape)]
    return _capped_count(query, [f"t.lat_band IN ({marks})" for marks in bands])


def _count_any_sql(query: RankedQuery, boxes: int) -> str:
    """Return ``_count_sql`` with each box's bands bound as one array (PostgreSQL)."""
    return _capped_count(query, [f"t.lat_band = ANY(:b{i})" for i in range(boxes)])


def _capped_count(query: RankedQuery, bands: list[str]) -> str:
    where = " AND ".join(query.conditions) or "1 = 1"
    inner = " UNION ALL ".join(
        f"SELECT t.id FROM {query.table} t WHERE {in_bands} "
        f"AND t.longitude BETWEEN :w{i} AND :e{i} AND {where} AND {DOT} >= :min_dot"
        for i, in_bands in enumerate(bands)
    )
    return f"SELECT count(*) FROM ({inner} LIMIT :cap) within_radius"


_POSTGIS: weakref.WeakKeyDictionary[Engine, frozenset[str]] = weakref.WeakKeyDictionary()


def has_postgis(connection: Connection, table: str) -> bool:
    """Tell whether ``table`` has migration 0014's PostGIS KNN index (checked once per engine)."""
    if connection.dialect.name != "postgresql":
        return False
    engine = connection.engine
    if engine not in _POSTGIS:
        sql = "SELECT tablename FROM pg_indexes WHERE indexname LIKE 'ix\\_spatial\\_%\\_geog'"
        tables = frozenset(row[0] for row in driver_rows(connection, sql.replace("%", "%%")))
        _POSTGIS[engine] = tables
    return table in _POSTGIS[engine]
