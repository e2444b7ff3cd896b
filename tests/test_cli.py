"""The `locator` command: init, import from a file, and its errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import func, select
from sqlmodel import Session

from locator import create_app
from locator.cli import cli
from locator.config import example_toml
from locator.models import Facility
from tests.conftest import FIXTURES
from tests.utils.meetings import BMLT, SMART, TSML

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


# -- files saved with a byte-order mark, or in another encoding --------------------------------

FILE_IMPORTS = {
    "samhsa": (["samhsa"], SAMPLE, "Charlottesville", "inserted 23"),
    "bmlt": (["bmlt"], BMLT / "meeting-search-42.867970-day2.json", "Clifton", "inserted 52"),
    "meeting-guide": (
        ["meeting-guide", "--feed-url", "https://aagainesville.org/feed"],
        TSML,
        "High Springs",
        "inserted 3",
    ),
    "smart": (["smart"], SMART / "smart_agreement_export.csv", "Madison", "inserted 2"),
}


@pytest.mark.parametrize("source", list(FILE_IMPORTS))
def test_a_file_saved_with_a_byte_order_mark_imports(
    empty_db_url: str, tmp_path: Path, source: str
) -> None:
    command, fixture, _word, imported = FILE_IMPORTS[source]
    with_bom = tmp_path / fixture.name
    with_bom.write_bytes(b"\xef\xbb\xbf" + fixture.read_bytes())
    runner, _app = _runner(empty_db_url)
    result = runner.invoke(cli, ["import", *command, "--file", str(with_bom)])
    assert result.exit_code == 0, result.output
    assert imported in result.output


@pytest.mark.parametrize("source", list(FILE_IMPORTS))
def test_a_file_in_latin1_is_refused_with_a_sentence(
    empty_db_url: str, tmp_path: Path, source: str
) -> None:
    command, fixture, word, _imported = FILE_IMPORTS[source]
    text = fixture.read_text(encoding="utf-8").replace(word, f"{word}é", 1)
    latin1 = tmp_path / fixture.name
    latin1.write_bytes(text.encode("latin-1", errors="replace"))
    runner, _app = _runner(empty_db_url)
    result = runner.invoke(cli, ["import", *command, "--file", str(latin1)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert f"{fixture.name} is not UTF-8 text" in result.output
    assert "save it as" in result.output and "Traceback" not in result.output
