"""The source registry: every source declared once drives `locator import` and the scheduler."""

from __future__ import annotations

import click
import pytest
from flask.testing import FlaskCliRunner

from locator import create_app
from locator.cli import cli
from locator.config import SETTINGS_BY_NAME, Settings
from locator.ops.health import SOURCE_SCHEDULES
from scrapers.cli import import_group, source_command
from scrapers.meeting_import import smart_file
from scrapers.registry import SOURCES, Source, source
from scrapers.scheduler import JOBS

SCHEDULED = [s for s in SOURCES if s.schedule]
IMPORTABLE = [s for s in SOURCES if s.file or s.live]


def _runner() -> FlaskCliRunner:
    return create_app({"DATABASE_URL": "sqlite://"}).test_cli_runner()


def test_the_registry_names_the_five_sources_once() -> None:
    names = [s.name for s in SOURCES]
    assert names == ["samhsa", "bmlt", "meeting-guide", "smart", "laws"]
    assert all(source(name).name == name for name in names)


def test_an_unknown_source_is_named_with_the_ones_there_are() -> None:
    with pytest.raises(KeyError, match="No source 'aa'; sources: samhsa, bmlt"):
        source("aa")


@pytest.mark.parametrize("src", SCHEDULED, ids=lambda s: s.name)
def test_every_scheduled_source_has_its_setting_declared_and_is_a_scheduler_job(
    src: Source,
) -> None:
    assert src.schedule is not None and src.scheduled is not None
    assert src.schedule.lower() in SETTINGS_BY_NAME, f"{src.schedule} is not in locator/config.py"
    jobs = {job.name: job for job in JOBS}
    assert src.job in jobs, f"{src.name} is not a scheduler job"
    assert jobs[src.job].setting == src.schedule
    assert jobs[src.job].function() is src.scheduled


def test_every_scheduled_source_is_watched_for_freshness_by_healthz() -> None:
    # Each schedule setting holds its own name, and every optional source is switched on, so
    # what /healthz reads for a source is the name of the setting it reads.
    named = {s.schedule: s.schedule for s in SCHEDULED if s.schedule}
    settings = Settings.from_mapping(
        {**named, "SMART_ENABLED": True, "MEETING_GUIDE_FEEDS": ["https://example.org/feed"]}
    )
    watched = {schedule(settings) for schedule in SOURCE_SCHEDULES.values()}
    assert {s.schedule for s in SCHEDULED} == watched


def test_import_help_lists_every_file_or_live_source() -> None:
    result = _runner().invoke(cli, ["import", "--help"])
    assert result.exit_code == 0, result.output
    commands = result.output.split("Commands:", 1)[1]
    listed = {line.split()[0] for line in commands.splitlines() if line.strip()}
    assert listed == {s.name for s in IMPORTABLE}


@pytest.mark.parametrize("src", IMPORTABLE, ids=lambda s: s.name)
def test_each_import_command_offers_the_modes_its_source_declares(src: Source) -> None:
    result = _runner().invoke(cli, ["import", src.name, "--help"])
    assert result.exit_code == 0, result.output
    assert ("--file" in result.output) == (src.file is not None)
    assert ("--live" in result.output) == (src.live is not None)
    assert " ".join(src.description.split()[:4]) in " ".join(result.output.split())


def test_a_source_without_options_of_its_own_gets_a_generated_command() -> None:
    assert import_group.commands["smart"].help == source("smart").description
    file_only = Source(
        name="csv-only",
        description="Import an example CSV.",
        file=smart_file,
        live=None,
        schedule=None,
        job="csv-only",
        scheduled=None,
    )
    command = source_command(file_only)
    assert isinstance(command, click.Command) and command.help == "Import an example CSV."
    assert [p.name for p in command.params] == ["path"]
    refused = _runner().invoke(command, ["--live"])
    assert refused.exit_code == 2 and "No such option '--live'" in refused.output
