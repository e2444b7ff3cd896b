"""Whole-store snapshots, to show that a failed or killed import changed nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

import locator.models  # noqa: F401 - registers every table on SQLModel.metadata

# Tables a run may write besides its data: its own ImportRun, the job lock, geocoder cache.
BOOKKEEPING = frozenset({"import_run", "job_lock", "geocode_cache"})


def all_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every data table in key order (bookkeeping tables left out)."""
    snapshot: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = connection.execute(select(table).order_by(*order)).all()
            snapshot[table.name] = [tuple(row) for row in rows]
    return snapshot
