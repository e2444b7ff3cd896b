"""Database engine, one Session per request, and migrations (Alembic) for both databases."""

from __future__ import annotations

import json
import select
import time
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import UserDefinedType

from locator.paths import MIGRATIONS_DIR


def make_engine(url: str, **options: Any) -> Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = make_url(url)
    # JSON columns (a source's record of a facility, import reports) are written with orjson:
    # a national load serialises ~20,000 records of ~70 service codes each.
    options.setdefault("json_serializer", _json_text)
    if parsed.get_backend_name() != "sqlite":
        _know_postgis_types()
        engine = create_engine(url, **options)
        if not options.get("pool_pre_ping"):
            event.listen(engine, "checkout", _check_alive)
            event.listen(engine, "checkin", _note_checkin)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


# A pooled connection idle longer than this is pinged on checkout (a proxy or the server's
# idle_session_timeout may have closed it quietly); one in steady use is only looked at.
PING_AFTER_IDLE_SECONDS = 10.0


def _check_alive(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
    """Hand out a live connection without a round trip (the pool's checkout event).

    ``pool_pre_ping`` sent a ``SELECT 1`` (and the BEGIN before it) on every checkout: two of
    a search's five round trips (bench/search.py). A connection the server ended (a restart,
    pg_terminate_backend, a timeout) is closed or has the server's goodbye waiting on its
    socket; only such a one, or one idle a while, is pinged. A failed ping invalidates the
    pool, so the other connections of a restarted server are replaced too.
    """
    idle = time.monotonic() - record.info.get("checked_in", time.monotonic())
    if idle < PING_AFTER_IDLE_SECONDS and not _looks_closed(dbapi_connection):
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
        # End the transaction the ping began (none on a reading engine's connections).
        dbapi_connection.rollback()
    except Exception as error:
        raise exc.InvalidatePoolError(str(error)) from error


def _note_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
    record.info["checked_in"] = time.monotonic()


def _looks_closed(dbapi_connection: Any) -> bool:
    """Tell whether the driver's connection is closed or the server has written to it idle."""
    if dbapi_connection.closed or dbapi_connection.broken:
        return True
    poller = select.poll()
    poller.register(dbapi_connection.fileno(), select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


def reading_engine(engine: Engine) -> Engine:
    """Return an engine for requests that only read: each statement on its own (autocommit).

    psycopg opens a transaction (a BEGIN round trip) before the first statement and the pool
    ends it (a ROLLBACK round trip); under READ COMMITTED, the default, every statement takes
    its own snapshot either way, so reads see the same rows. A single-statement write (the
    geocoder's cache row) still commits. On PostgreSQL it is an engine of its own (its own
    pool), its connections in autocommit from the start: switching a pooled connection of
    ``engine`` in and out of autocommit made each checkout ~70 µs instead of ~30 µs. SQLite's
    driver begins no transaction for reads, so its engine is returned as it is.
    """
    if is_sqlite(engine):
        return engine
    return make_engine(
        engine.url.render_as_string(hide_password=False), isolation_level="AUTOCOMMIT"
    )


class _Geography(UserDefinedType[Any]):
    """PostGIS's geography as reflection sees it (read only; no model maps it)."""

    cache_ok = True

    def __init__(self, *_args: Any) -> None:
        """Take the reflected (shape, srid) and keep nothing."""

    def get_col_spec(self, **_kw: Any) -> str:
        return "geography"


def _know_postgis_types() -> None:
    """Let reflection (Alembic's autogenerate) read PostGIS's geography column (0014) quietly.

    No model maps it; without this SQLAlchemy warns that it does not know the type.
    """
    from sqlalchemy.dialects.postgresql.base import ischema_names

    ischema_names.setdefault("geography", _Geography)


def _json_text(value: Any) -> str:
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:  # what orjson refuses (an integer beyond 64 bits): the json module's text
        return json.dumps(value)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets searches keep reading while an import writes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    # Searches read the spatial index and a page of rows: keep hot pages in memory. mmap shares
    # the OS page cache between connections; the private cache stays modest (16 MB).
    cursor.execute("PRAGMA cache_size=-16384")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def is_sqlite(engine: Engine) -> bool:
    """Tell whether the engine talks to SQLite."""
    return engine.dialect.name == "sqlite"


def alembic_config() -> AlembicConfig:
    """Return an Alembic configuration pointing at the packaged migrations."""
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def schema_is_current(engine: Engine) -> bool:
    """Tell whether the database has every migration applied."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to ``revision`` (default: the newest)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Tell Alembic's autogenerate which schema objects are the models' business.

    The spatial indexes differ by dialect (INCLUDE columns on PostgreSQL only) and are
    written by hand in migration 0002, so autogenerate must neither drop nor compare them;
    nor PostGIS's generated ``geog`` column and its index (0014, only where PostGIS exists),
    nor the extension's own table.
    """
    if (type_, name) in {("column", "geog"), ("table", "spatial_ref_sys")}:
        return False
    return not (type_ == "index" and name and name.startswith("ix_spatial_"))


def connection_of(source: Session | Connection) -> Connection:
    """Return the connection a session reads through, or the connection itself."""
    return source if isinstance(source, Connection) else source.connection()


def driver_rows(
    connection: Connection,
    sql: str,
    values: dict[str, Any] | None = None,
    *,
    binary: bool = False,
    prepare: bool | None = None,
) -> list[tuple[Any, ...]]:
    """Run driver-ready SQL on the driver's own cursor, inside the connection's transaction.

    For the hot reads of every results page (the ranked page, the law lookups): SQLAlchemy's
    result machinery cost as much as the queries themselves (bench/search.py, bench/pages.py).
    ``binary`` (psycopg only) asks PostgreSQL for binary results: the same Python values,
    without formatting and parsing every float and date as text (for a KNN page of ~26 rows
    of 25 columns, ~0.05 ms of its fetch, measured). ``prepare=True`` (psycopg only) prepares
    the statement on its first run instead of its sixth.
    """
    raw: Any = connection.connection
    cursor = raw.cursor(binary=True) if binary else raw.cursor()
    try:
        if prepare is None:
            cursor.execute(sql, values or {})
        else:
            cursor.execute(sql, values or {}, prepare=prepare)
        return list(cursor.fetchall())
    finally:
        cursor.close()
