"""Job locks and the scheduler: one job never runs twice at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, update

from locator.config import load_config
from locator.models import JobLock, utcnow
from scrapers import scheduler
from scrapers.locks import JobBusyError, job_lock


def test_a_second_holder_finds_the_job_busy(empty_engine: Engine) -> None:
    with job_lock(empty_engine, "samhsa"):
        with pytest.raises(JobBusyError, match="already running"), job_lock(empty_engine, "samhsa"):
            pass
        with job_lock(empty_engine, "meetings"):  # other jobs are not blocked
            pass
    with job_lock(empty_engine, "samhsa"):  # released afterwards
        pass


def test_a_lock_row_left_by_a_dead_process_expires(empty_engine: Engine) -> None:
    if empty_engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL advisory locks die with their connection")
    lock = job_lock(empty_engine, "samhsa")
    lock.__enter__()  # never released: as if the process died
    with empty_engine.begin() as conn:
        conn.execute(update(JobLock).values(expires_at=utcnow() - timedelta(minutes=1)))
    with job_lock(empty_engine, "samhsa"):
        pass


def record_run(engine: Engine, config: object) -> str:
    RUNS.append("ran")
    return "ran"


RUNS: list[str] = []
TEST_JOB = scheduler.JobSpec("test-job", "SCHEDULER_TIMEZONE", record_run)


def test_run_job_skips_a_busy_job(empty_engine: Engine) -> None:
    RUNS.clear()
    config = load_config(environ={}, config_file=None)
    with job_lock(empty_engine, "test-job"):
        assert scheduler.run_job(TEST_JOB, empty_engine, config) is None
    assert scheduler.run_job(TEST_JOB, empty_engine, config) == "ran"
    assert RUNS == ["ran"]


def test_jobs_with_an_empty_schedule_are_off(empty_engine: Engine) -> None:
    config = {
        **load_config(environ={}, config_file=None),
        "SCHEDULE_A": "0 3 * * 1",
        "SCHEDULE_B": "",
    }
    jobs = (
        scheduler.JobSpec("a", "SCHEDULE_A", record_run),
        scheduler.JobSpec("b", "SCHEDULE_B", record_run),
    )
    built = scheduler.build_scheduler(
        empty_engine, config, jobs, BackgroundScheduler(timezone="UTC")
    )
    assert [job.id for job in built.get_jobs()] == ["a"]
