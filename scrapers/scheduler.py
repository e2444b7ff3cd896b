"""The one scheduler process (`locator scheduler`): APScheduler 3.x running importer jobs.

Jobs come from the source registry (scrapers/registry.py): every source with a ``schedule``
setting is one job in JOBS, run on that setting's cron expression (empty = off) as
``scheduled(engine, config)``. Every run holds the job's database lock (scrapers/locks.py), so
a second scheduler, or a manual import at the same moment, does not run the job twice. The web
app never starts this: each web worker would run every job.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import click
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import Engine

from locator.config import settings_of
from locator.web.session import get_engine
from scrapers.locks import JobBusyError, job_lock
from scrapers.registry import SOURCES, ScheduledRun

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class JobSpec:
    """A scheduled job: its name (and lock), the setting with its cron line, and what it runs."""

    name: str
    setting: str
    target: ScheduledRun

    def function(self) -> ScheduledRun:
        """Return what the job runs: ``function(engine, config)``."""
        return self.target


JOBS: tuple[JobSpec, ...] = tuple(
    JobSpec(s.job, s.schedule, s.scheduled) for s in SOURCES if s.schedule and s.scheduled
)


def run_job(spec: JobSpec, engine: Engine, config: Mapping[str, Any]) -> Any:
    """Run one job under its lock; a busy lock is logged and skipped, not an error."""
    try:
        with job_lock(engine, spec.name, hours=settings_of(config).job_lock_hours):
            log.info("job %s: starting", spec.name)
            return spec.function()(engine, config)
    except JobBusyError as exc:
        log.warning("job %s: %s", spec.name, exc)
        return None


def build_scheduler(
    engine: Engine,
    config: Mapping[str, Any],
    jobs: tuple[JobSpec, ...] = JOBS,
    scheduler: BaseScheduler | None = None,
) -> BaseScheduler:
    """Add every job whose cron setting is not empty to a (blocking) scheduler."""
    zone = settings_of(config).scheduler_timezone
    scheduler = scheduler or BlockingScheduler(timezone=zone)
    # scheduler_run_on_start: every job's first run is now, then it follows its cron line.
    first_run = (
        {"next_run_time": datetime.now(UTC)} if settings_of(config).scheduler_run_on_start else {}
    )
    for spec in jobs:
        cron = str(config.get(spec.setting, "")).strip()
        if not cron:
            log.info("job %s: off (%s is empty)", spec.name, spec.setting.lower())
            continue
        scheduler.add_job(
            run_job,
            CronTrigger.from_crontab(cron, timezone=zone),
            args=[spec, engine, config],
            id=spec.name,
            name=spec.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=3600,
            **first_run,
        )
    return scheduler


def run_at_import_priority(niceness: int) -> None:
    """Run this process at the nice value ``import_niceness`` (never raising its priority).

    An import is batch work: at the default priority a national load took one of the two
    cores from the web workers (bench/load.sh, "during an import"). The database server's
    own work for the import is not affected.
    """
    if niceness <= 0 or not hasattr(os, "nice"):
        return
    current = os.nice(0)
    if current < niceness:
        os.nice(niceness - current)


@click.command("scheduler")
@click.option("--once", "once", metavar="JOB", help="Run one job now, under its lock, and exit.")
@with_appcontext
def scheduler_command(once: str | None) -> None:
    """Run the importer jobs on their schedules (the only scheduler process)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    engine, config = get_engine(), current_app.config
    run_at_import_priority(settings_of(config).import_niceness)
    if once:
        specs = {spec.name: spec for spec in JOBS}
        if once not in specs:
            raise click.ClickException(f"No job {once!r}; jobs: {', '.join(specs) or 'none'}")
        try:  # a person asked for this run: say so when it cannot start, and fail
            with job_lock(engine, once, hours=settings_of(config).job_lock_hours):
                specs[once].function()(engine, config)
        except JobBusyError as exc:
            raise click.ClickException(f"Not started: {exc}") from exc
        return
    scheduler = build_scheduler(engine, config)
    for job in scheduler.get_jobs():
        click.echo(f"{job.name}: {job.trigger}")
    if not scheduler.get_jobs():
        raise click.ClickException("No job is scheduled: every schedule_* setting is empty.")
    scheduler.start()
