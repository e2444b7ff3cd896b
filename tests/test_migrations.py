"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, MetaData, Table, insert, inspect, text
from sqlmodel import SQLModel

from locator.db import alembic_config, include_object, migrate
from scrapers.facility_writer import facility_values
from tests.utils.facilities import site


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


def test_0016_copies_each_facility_s_service_codes_onto_its_row(empty_engine: Engine) -> None:
    """A store made before 0016 gets each facility's codes, sorted by code point as Python
    sorts them (the search API lists them from there), and '' where it has none."""
    config = alembic_config()
    with empty_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0015")
    with empty_engine.begin() as connection:
        table = Table("facility", MetaData(), autoload_with=connection)  # as 0015 left it
        for key, codes in (("a", ("mm", "BU", "DT", "Z1", "ACC")), ("b", ())):
            values = facility_values(site(key, 38.0, -78.5, services=codes))
            del values["service_codes"]  # what a writer before 0016 wrote
            values.update(source="test", source_key=key, source_note="", source_url="")
            values.update(first_seen=date(2026, 11, 1), last_seen=date(2026, 11, 1))
            [facility_id] = connection.execute(insert(table).returning(table.c.id), values).one()
            for code in codes:
                connection.execute(
                    text("INSERT INTO facility_service (facility_id, code) VALUES (:id, :code)"),
                    {"id": facility_id, "code": code},
                )
    migrate(empty_engine)
    with empty_engine.connect() as connection:
        found = connection.execute(text("SELECT source_key, service_codes FROM facility"))
        stored = dict(found.all())
    assert stored == {"a": "ACC,BU,DT,Z1,mm", "b": ""}
