"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

from locator.db import include_object, migrate


def test_migrated_schema_matches_the_models(empty_engine: Engine) -> None:
    with empty_engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        assert compare_metadata(context, SQLModel.metadata) == []


def test_spatial_indexes_exist(empty_engine: Engine) -> None:
    inspector = inspect(empty_engine)
    assert "ix_spatial_facility" in {i["name"] for i in inspector.get_indexes("facility")}
    assert "ix_spatial_meeting" in {i["name"] for i in inspector.get_indexes("meeting")}


def test_migrating_again_is_harmless(empty_engine: Engine) -> None:
    migrate(empty_engine)
    assert "facility" in inspect(empty_engine).get_table_names()


def test_schema_is_current_after_migrating(empty_engine: Engine) -> None:
    from locator.db import schema_is_current

    assert schema_is_current(empty_engine)


def test_serve_refuses_an_unmigrated_database(tmp_path) -> None:
    from locator import create_app
    from locator.cli import cli

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    result = app.test_cli_runner().invoke(cli, ["serve", "--port", "5999"])
    assert result.exit_code != 0
    assert "run `locator init`" in result.output
