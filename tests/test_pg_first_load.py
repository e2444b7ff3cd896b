"""A PostgreSQL first load writes its service rows to a table of their own, swapped in at the end.

The foreign key is checked once over the new table instead of once a row; these tests hold
that the stored rows are the ones SQLite stores from the same real directory files, that a
failure at any point leaves the empty store and its keys exactly as they were, and that
readers are not held while the load writes.
"""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session

from locator.db import make_engine, migrate
from scrapers.base import run_import
from scrapers.codebook import store_reference
from scrapers.facility_writer import FacilityWriter
from scrapers.samhsa_files import file_items, open_file
from tests.conftest import FIXTURES
from tests.utils.facilities import codes_not_copied
from tests.utils.store import all_rows

SA = FIXTURES / "feeds" / "samhsa" / "National_Directory_SA_Facilities_2022_trimmed.xlsx"
MH = FIXTURES / "feeds" / "samhsa" / "National_Directory_MH_Facilities_2022_trimmed.xlsx"
TABLES = ("facility", "facility_source", "facility_service")


@pytest.fixture
def pg_engine(empty_engine: Engine) -> Engine:
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL first-load path")
    return empty_engine


def _writer(path: Path, kind: type[FacilityWriter] = FacilityWriter) -> FacilityWriter:
    found = open_file(path)
    return kind(source=found.source, source_note=f"test import of {path.name}", family="samhsa")


def _import(engine: Engine, path: Path, writer: FacilityWriter | None = None) -> Any:
    found = open_file(path)
    return run_import(
        engine,
        source=found.source,
        items=file_items(found),
        writer=writer or _writer(path),
        seen_on=date(2026, 11, 1),
        prepare=lambda session: store_reference(session, found.vintage, found.reference),
    )


def _service_table_oid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT 'facility_service'::regclass::oid")).scalar_one()
        )


def _service_keys(engine: Engine) -> list[tuple[str, str]]:
    """facility_service's constraints and indexes as PostgreSQL describes them."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT conname, pg_get_constraintdef(oid) || ' valid=' || convalidated "
                "FROM pg_constraint WHERE conrelid = 'facility_service'::regclass "
                "UNION ALL SELECT indexname, indexdef FROM pg_indexes "
                "WHERE tablename LIKE 'facility_service%' ORDER BY 1"
            )
        )
        return [(name, definition) for name, definition in rows]


def test_a_first_load_stores_the_rows_sqlite_stores_from_the_same_files(
    pg_engine: Engine, tmp_path: Path
) -> None:
    sqlite = make_engine(f"sqlite:///{tmp_path / 'same.db'}")
    migrate(sqlite)
    for engine in (pg_engine, sqlite):
        assert _import(engine, SA).inserted > 0
        assert _import(engine, MH).joined > 0  # the second file goes the usual way
    pg_rows, sqlite_rows = all_rows(pg_engine), all_rows(sqlite)
    assert codes_not_copied(pg_engine) == [] and codes_not_copied(sqlite) == []
    sqlite.dispose()
    assert len(pg_rows["facility_service"]) > 500
    for table in TABLES:
        assert pg_rows[table] == sqlite_rows[table], table


def test_a_first_load_keeps_facility_services_keys_as_the_migrations_made_them(
    pg_engine: Engine,
) -> None:
    migrated = _service_keys(pg_engine)
    assert [name for name, _ in migrated] == [
        "facility_service_facility_id_fkey",
        "facility_service_pkey",
        "facility_service_pkey",
    ]
    empty_table = _service_table_oid(pg_engine)
    _import(pg_engine, SA)
    assert _service_table_oid(pg_engine) != empty_table  # the rows' own table took its place
    assert _service_keys(pg_engine) == migrated
    _import(pg_engine, MH)  # not a first load: the rows join the table in place
    assert _service_keys(pg_engine) == migrated
    with pg_engine.begin() as connection:  # the key still cascades a facility's deletion
        first = connection.execute(text("SELECT min(id) FROM facility")).scalar_one()
        connection.execute(text("DELETE FROM facility WHERE id = :id"), {"id": first})
        left = connection.execute(
            text("SELECT count(*) FROM facility_service WHERE facility_id = :id"), {"id": first}
        )
        assert left.scalar_one() == 0


class _FailsToFinish(FacilityWriter):
    """Fails at the very end of its writes, before or after the new table took its place."""

    after_swap = True

    def finish(self, session: Session) -> None:
        if self.after_swap:
            super().finish(session)
        raise ConnectionError("the connection dropped at the last moment")


@pytest.mark.parametrize("after_swap", [False, True])
def test_a_failed_first_load_leaves_the_empty_store_and_its_keys(
    pg_engine: Engine, after_swap: bool
) -> None:
    keys, before = _service_keys(pg_engine), all_rows(pg_engine)
    table = _service_table_oid(pg_engine)
    writer = _writer(SA, _FailsToFinish)
    writer.after_swap = after_swap  # type: ignore[attr-defined]
    with pytest.raises(ConnectionError):
        _import(pg_engine, SA, writer)
    assert all_rows(pg_engine) == before
    assert _service_keys(pg_engine) == keys
    assert _service_table_oid(pg_engine) == table
    # ... and the next load goes the same way and stores every row.
    assert _import(pg_engine, SA).inserted > 0
    with pg_engine.connect() as connection:
        stored = connection.execute(text("SELECT count(*) FROM facility_service"))
        assert stored.scalar_one() > 500


class _PausesAfterItsRows(FacilityWriter):
    """Waits, in the middle of its transaction, until a reader has looked at the store."""

    written = threading.Event()
    read = threading.Event()

    def insert(self, session: Session, records: Any, seen_on: date) -> None:
        super().insert(session, records, seen_on)
        self.written.set()
        assert self.read.wait(30), "the reader never came"


def test_readers_are_not_held_while_a_first_load_writes(pg_engine: Engine) -> None:
    writer = _writer(SA, _PausesAfterItsRows)
    reports: list[Any] = []
    load = threading.Thread(target=lambda: reports.append(_import(pg_engine, SA, writer)))
    load.start()
    try:
        assert _PausesAfterItsRows.written.wait(60)
        with pg_engine.connect() as connection:
            connection.execute(text("SET lock_timeout = '2s'"))
            counts = connection.execute(
                text(
                    "SELECT (SELECT count(*) FROM facility), "
                    "(SELECT count(*) FROM facility_service)"
                )
            ).one()
        assert tuple(counts) == (0, 0)  # not yet committed, and readable
    finally:
        _PausesAfterItsRows.read.set()
        load.join(60)
    assert reports and reports[0].inserted > 0
