"""`locator backup` / `locator restore`: a round trip loses nothing, and mistakes are refused."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from locator import create_app
from locator.cli import cli
from locator.db import make_engine, migrate
from locator.models import Facility, ImportRun, Meeting, StateLaw, utcnow
from tests.utils.facilities import add_sites, site
from tests.utils.laws import set_law
from tests.utils.meetings import add_meetings, meeting


def every_row(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table (and the migration), in primary-key order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            query = select(table).order_by(*table.primary_key.columns)
            found[table.name] = [tuple(row) for row in connection.execute(query)]
        found["alembic_version"] = list(
            connection.execute(text("SELECT version_num FROM alembic_version"))
        )
    return found


def add_a_day_of_changes(engine: Engine) -> None:
    """A facility, a meeting, an import run and a law change beyond the embedded data."""
    add_sites(engine, [site("Backup One", 38.03, -78.48, services=["DT", "SA"])])
    add_meetings(engine, meeting("backup-1"))
    with Session(engine) as session:
        session.add(ImportRun(source="samhsa", status="failed", error="Test: timed out"))
        session.commit()
    set_law(engine, "VA", status="age_limit_only", minimum_age=21, verified_on=date(2026, 11, 2))


def wreck(engine: Engine) -> None:
    """Lose and change rows, as a bad import or an operator's mistake would."""
    with engine.begin() as connection:
        connection.execute(delete(Meeting))
        connection.execute(update(Facility).values(name="Wrong name"))
        connection.execute(update(StateLaw).values(status="unknown"))
        connection.execute(update(ImportRun).values(finished_at=utcnow()))


def runner_for(db_url: str) -> FlaskCliRunner:
    return create_app({"DATABASE_URL": db_url}).test_cli_runner()


def test_backup_then_restore_gives_back_every_row(engine: Engine, db_url: str, tmp_path: Path):
    add_a_day_of_changes(engine)
    before = every_row(engine)
    assert all(before[t] for t in ("facility", "meeting", "import_run", "state_law"))
    runner = runner_for(db_url)
    saved = tmp_path / "locator.backup"
    result = runner.invoke(cli, ["backup", str(saved)])
    assert result.exit_code == 0, result.output
    wreck(engine)
    assert every_row(engine) != before
    result = runner.invoke(cli, ["restore", str(saved)])
    assert result.exit_code == 1
    assert "--force" in result.output and every_row(engine) != before  # nothing touched
    result = runner.invoke(cli, ["restore", "--force", str(saved)])
    assert result.exit_code == 0, result.output
    engine.dispose()
    assert every_row(engine) == before


def test_backup_does_not_replace_a_file_unless_forced(db_url: str, tmp_path: Path) -> None:
    saved = tmp_path / "kept.backup"
    saved.write_text("an older backup")
    result = runner_for(db_url).invoke(cli, ["backup", str(saved)])
    assert result.exit_code == 1 and "exists" in result.output
    assert saved.read_text() == "an older backup"


def test_restore_refuses_a_file_that_is_not_a_locator_database(
    empty_db_url: str, tmp_path: Path
) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("not a database at all " * 100)
    result = runner_for(empty_db_url).invoke(cli, ["restore", "--force", str(junk)])
    assert result.exit_code == 1
    assert "not a locator" in result.output
    missing = runner_for(empty_db_url).invoke(cli, ["restore", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "no backup file" in missing.output


def test_restore_refuses_a_backup_from_another_migration(tmp_path: Path) -> None:
    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    old = make_engine(old_url)
    migrate(old, "0001")
    old.dispose()
    saved = tmp_path / "old.backup"
    assert runner_for(old_url).invoke(cli, ["backup", str(saved)]).exit_code == 0
    result = runner_for(f"sqlite:///{tmp_path / 'new.db'}").invoke(cli, ["restore", str(saved)])
    assert result.exit_code == 1
    assert "is at migration 0001" in result.output


def test_sqlite_backup_is_consistent_while_a_writer_holds_a_transaction(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the online backup API is SQLite's")
    before = every_row(engine)
    saved = tmp_path / "during.backup"
    with engine.connect() as writer:
        writer.execute(update(Facility).values(name="Half-written"))  # not committed
        result = runner_for(db_url).invoke(cli, ["backup", str(saved)])
        writer.rollback()
    assert result.exit_code == 0, result.output
    copy = make_engine(f"sqlite:///{saved}")
    assert every_row(copy) == before
    copy.dispose()


@pytest.fixture
def scratch_pg(engine: Engine) -> Iterator[str]:
    """A PostgreSQL database created for one test and dropped after it."""
    if engine.dialect.name != "postgresql":
        pytest.skip("pg_dump / pg_restore round trip runs in the PostgreSQL pass")
    name = f"scratch_{uuid.uuid4().hex[:10]}"
    admin = make_engine(engine.url.render_as_string(hide_password=False))
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield (
            make_url(engine.url.render_as_string(hide_password=False))
            .set(database=name)
            .render_as_string(hide_password=False)
        )
    finally:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_dump_restores_into_a_new_database_and_over_a_wrecked_one(
    engine: Engine, db_url: str, scratch_pg: str, tmp_path: Path
) -> None:
    add_a_day_of_changes(engine)
    before = every_row(engine)
    saved = tmp_path / "locator.dump"
    result = runner_for(db_url).invoke(cli, ["backup", str(saved)])
    assert result.exit_code == 0, result.output
    assert saved.read_bytes()[:5] == b"PGDMP"
    scratch = runner_for(scratch_pg)
    result = scratch.invoke(cli, ["restore", str(saved)])  # an empty database: no --force
    assert result.exit_code == 0, result.output
    restored = make_engine(scratch_pg)
    assert every_row(restored) == before
    wreck(restored)
    assert scratch.invoke(cli, ["restore", str(saved)]).exit_code == 1
    result = scratch.invoke(cli, ["restore", "--force", str(saved)])
    assert result.exit_code == 0, result.output
    restored.dispose()
    assert every_row(restored) == before
    restored.dispose()
