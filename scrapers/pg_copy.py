"""PostgreSQL COPY for an import's bulk inserts: rows straight to the driver.

SQLAlchemy's executemany renders each batch as one multi-row INSERT whose parameters psycopg
converts one by one (11 of a national first load's 46 seconds went in that conversion); COPY
sends the rows as they are. A table with a serial id gets its ids from its own sequence first,
in row order, exactly as the INSERTs took them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from psycopg.types.json import Json
from sqlalchemy import Table, insert, text
from sqlmodel import Session


def next_ids(session: Session, table: Table, count: int) -> list[int]:
    """Take ``count`` ids from ``table``'s id sequence, in ascending order."""
    if count == 0:
        return []
    rows = session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) FROM generate_series(1, :n)"),
        {"table": table.name, "n": count},
    )
    return sorted(row[0] for row in rows)


def copy_rows(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    """COPY ``rows`` (dicts of the same keys, column names of ``table``) into ``table``."""
    if not rows:
        return
    names = list(rows[0])
    connection = session.connection()
    serializer = getattr(connection.dialect, "_json_serializer", None) or json.dumps
    as_json = {name for name in names if table.c[name].type.__visit_name__ == "JSON"}

    def adapt(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            Json(row[name], dumps=serializer) if name in as_json else row[name] for name in names
        )

    columns = ", ".join(names)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(adapt(row))
    finally:
        cursor.close()


def insert_rows(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table``: COPY on PostgreSQL, one executemany elsewhere."""
    if not rows:
        return
    if session.connection().dialect.name == "postgresql":
        copy_rows(session, table, rows)
    else:
        session.connection().execute(insert(table), rows)


def insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert ``rows`` into ``table``; return their new ids, in row order."""
    if not rows:
        return []
    if session.connection().dialect.name == "postgresql":
        ids = next_ids(session, table, len(rows))
        copy_rows(
            session, table, [{"id": row_id, **row} for row_id, row in zip(ids, rows, strict=True)]
        )
        return ids
    result = session.connection().execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    return [row.id for row in result]
