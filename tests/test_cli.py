"""The `locator` command: init, import from a file, and its errors."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlmodel import Session

from locator import create_app
from locator.cli import cli
from locator.config import example_toml
from locator.models import Facility
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "feeds" / "samhsa" / "listing_2019_charlottesville.json"


def _runner(db_url: str) -> tuple[FlaskCliRunner, Flask]:
    app = create_app({"DATABASE_URL": db_url})
    return app.test_cli_runner(), app


def test_init_sets_up_a_new_database_and_is_harmless_twice(tmp_path: Path) -> None:
    runner, _app = _runner(f"sqlite:///{tmp_path / 'new.db'}")
    first = runner.invoke(cli, ["init"])
    assert first.exit_code == 0, first.output
    assert "inserted 23" in first.output
    second = runner.invoke(cli, ["init"])
    assert second.exit_code == 0 and "already loaded" in second.output


def test_import_samhsa_from_a_saved_response(empty_db_url: str) -> None:
    runner, app = _runner(empty_db_url)
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "inserted 23" in result.output
    with Session(app.extensions["engine"]) as session:
        assert session.scalar(select(func.count()).select_from(Facility)) == 23


def test_import_of_a_broken_file_says_so_and_keeps_the_data(db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"page": 1, "rows": [')
    runner, app = _runner(db_url)
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(broken)])
    assert result.exit_code != 0 and "is not JSON" in result.output
    error_page = tmp_path / "error.json"
    error_page.write_text('"Invalid search parameters"')
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(error_page)])
    assert result.exit_code != 0 and "previous data kept" in result.output
    with Session(app.extensions["engine"]) as session:
        assert session.scalar(select(func.count()).select_from(Facility)) == 23


def test_config_example_command_prints_the_documented_settings(db_url: str) -> None:
    runner, _app = _runner(db_url)
    result = runner.invoke(cli, ["config-example"])
    assert result.output == example_toml()
