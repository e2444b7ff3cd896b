"""The `locator` command: init, import from a file, and its errors (encodings, no schema)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import func, select
from sqlmodel import Session, col

from locator import create_app
from locator.cli import cli
from locator.config import example_toml
from locator.models import Facility, ImportRun
from tests.conftest import FIXTURES
from tests.utils.meetings import BMLT, SMART, TSML

SAMPLE = FIXTURES / "feeds" / "samhsa" / "listing_2019_charlottesville.json"


def _runner(db_url: str, **settings: object) -> tuple[FlaskCliRunner, Flask]:
    app = create_app({"DATABASE_URL": db_url, **settings})
    return app.test_cli_runner(), app


def test_init_sets_up_a_new_database_and_is_harmless_twice(tmp_path: Path) -> None:
    runner, _app = _runner(f"sqlite:///{tmp_path / 'new.db'}")
    first = runner.invoke(cli, ["init"])
    assert first.exit_code == 0, first.output
    for source in ("samhsa-sa-2022", "samhsa-mh-2022", "samhsa-otp-2022"):
        assert f"{source}-snapshot: ok" in first.output
    second = runner.invoke(cli, ["init"])
    assert second.exit_code == 0 and "already loaded" in second.output


def test_import_samhsa_from_a_saved_response(empty_db_url: str) -> None:
    runner, app = _runner(empty_db_url)
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "inserted 23" in result.output
    with Session(app.extensions["engine"]) as session:
        assert session.scalar(select(func.count()).select_from(Facility)) == 23


def test_imports_run_at_the_import_priority(
    empty_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    niceness = [0]

    def nice(increment: int) -> int:  # os.nice, on a pretend process (the test's own stays)
        niceness[0] += increment
        return niceness[0]

    monkeypatch.setattr("scrapers.scheduler.os.nice", nice)
    runner, _app = _runner(empty_db_url, IMPORT_NICENESS=10)
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert niceness == [10]
    niceness[0] = 0
    scheduled = runner.invoke(cli, ["scheduler", "--once", "no-such-job"])
    assert "No job 'no-such-job'" in scheduled.output
    assert niceness == [10]  # the scheduler, too, lowered itself first


def test_the_import_priority_is_only_ever_lowered() -> None:
    code = (
        "import os; from scrapers.scheduler import run_at_import_priority as run; "
        "start = os.nice(0); run(7); a = os.nice(0); run(3); b = os.nice(0); run(0); "
        "print(start, a, b, os.nice(0))"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    start, *after = (int(n) for n in done.stdout.split())
    assert after == [max(start, 7)] * 3  # raised to 7 once, never lowered back


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
    run = _last_run(_app, source)
    assert run.status == "failed" and f"{fixture.name} is not UTF-8 text" in run.error


def _last_run(app: Flask, source: str) -> ImportRun:
    with Session(app.extensions["engine"]) as session:
        run = session.scalars(
            select(ImportRun)
            .where(col(ImportRun.source) == source)
            .order_by(col(ImportRun.id).desc())
        ).first()
        assert run is not None, f"no ImportRun of {source}"
        session.expunge(run)
        return run


# -- a database that was never migrated ----------------------------------------------------------

IMPORT_COMMANDS = [
    ["import", "samhsa", "--file", str(SAMPLE)],
    ["import", "samhsa", "--live", "--state", "VA"],
    ["import", "bmlt", "--file", str(BMLT / "meeting-search-42.867970-day2.json")],
    ["import", "bmlt", "--live"],
    ["import", "bmlt", "--near", "22903"],
    ["import", "meeting-guide", "--file", str(TSML)],
    ["import", "meeting-guide", "--live"],
    ["import", "smart", "--file", str(SMART / "smart_agreement_export.csv")],
    ["import", "smart", "--live"],
    ["seed"],
]


@pytest.mark.parametrize("command", IMPORT_COMMANDS, ids=lambda c: " ".join(c[:3]))
def test_an_import_into_a_database_never_migrated_says_to_run_init(
    tmp_path: Path, command: list[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'never-migrated.db'}"
    # No network either: a live import must stop at the schema check, before any request.
    runner, _app = _runner(url, samhsa_api_url="http://127.0.0.1:9/none", bmlt_servers=[])
    result = runner.invoke(cli, command)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert (
        f"The database at {url} is not set up: run `locator init` (or `locator migrate`) first."
        in result.output
    )


def test_a_database_that_cannot_be_reached_is_named_without_its_password() -> None:
    # Built from parts so the secret scan of tracked files does not take it for a real one.
    user, secret, masked = "operator", "s3cret", "***"
    runner, _app = _runner(f"postgresql+psycopg://{user}:{secret}@127.0.0.1:9/locator")
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(SAMPLE)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert (
        f"The database at postgresql+psycopg://{user}:{masked}@127.0.0.1:9/locator" in result.output
    )
    assert "cannot be reached" in result.output and "s3cret" not in result.output


# -- failures before the import starts are import runs too ---------------------------------------


def test_a_corrupt_workbook_leaves_a_failed_run_with_its_reason(
    app: Flask, admin_client: FlaskClient, tmp_path: Path
) -> None:
    corrupt = tmp_path / "Locator.xlsx"
    corrupt.write_bytes(b"PK\x03\x04 this is not the rest of a workbook")
    result = app.test_cli_runner().invoke(cli, ["import", "samhsa", "--file", str(corrupt)])
    assert result.exit_code == 1 and "Locator.xlsx is not a readable XLSX workbook" in result.output
    run = _last_run(app, "samhsa")
    assert (run.status, run.fetched, run.inserted) == ("failed", 0, 0)
    assert run.error.startswith("Locator.xlsx is not a readable XLSX workbook")
    assert run.started_at is not None and run.finished_at is not None

    page = BeautifulSoup(admin_client.get("/admin/imports").text, "html.parser")
    newest = [cell.text.strip() for cell in page.select("table.runs tbody tr")[0].find_all("td")]
    assert newest[:2] == [str(run.id), "samhsa"] and newest[3] == "failed"
    detail = admin_client.get(f"/admin/imports/{run.id}").text
    assert "not a readable XLSX workbook" in detail


def test_a_crawl_that_is_off_or_a_file_without_its_server_leaves_a_failed_run(
    app: Flask, tmp_path: Path
) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["import", "smart", "--live"])
    assert result.exit_code == 1 and "smart_enabled" in result.output
    assert "smart_enabled" in _last_run(app, "smart").error

    bare = tmp_path / "meetings.json"
    bare.write_text("[]", encoding="utf-8")
    result = runner.invoke(cli, ["import", "bmlt", "--file", str(bare)])
    assert result.exit_code == 1 and "pass --server URL" in result.output
    run = _last_run(app, "bmlt")
    assert run.status == "failed" and "pass --server URL" in run.error
