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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection

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
    shape: list[int] = []
    if radius_km is not None:
        values["min_dot"] = min_dot(radius_km)
        for index, box in enumerate(bounding_boxes(origin, radius_km)):
            bands = lat_bands(box)
            shape.append(len(bands))
            values.update({f"b{index}_{n}": band for n, band in enumerate(bands)})
            values[f"w{index}"], values[f"e{index}"] = box.west, box.east
    return _rendered(dialect, query, tuple(shape), radius_km is not None), values


def driver_sql(dialect: str, sql: str) -> str:
    """Return SQL written with :name parameters in the driver's own style."""
    if dialect == "sqlite":
        return sql  # sqlite3 takes :name parameters as they are
    return _NAMED.sub(r"%(\1)s", sql.replace("%", "%%"))


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


def aggregate_codes(dialect: str, table: str, key: str) -> str:
    """Return a correlated subquery listing a row's codes from ``table`` as 'A,B,C'."""
    function = "group_concat(s.code, ',')" if dialect == "sqlite" else "string_agg(s.code, ',')"
    return f"(SELECT {function} FROM {table} s WHERE s.{key} = t.id) AS codes"
