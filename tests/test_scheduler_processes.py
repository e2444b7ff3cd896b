"""Two `locator scheduler` processes, one job: the database lock lets exactly one run it, and a
manual import during the scheduled run finds the job busy."""

from __future__ import annotations

import threading
from pathlib import Path

from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlmodel import Session, col
from werkzeug import Request, Response

from locator.models import ImportRun
from tests.conftest import FIXTURES
from tests.utils.processes import LOCATOR, start_locator, stop, wait_until

FEED = FIXTURES / "feeds" / "meeting_guide" / "aagainesville_3_meetings.json"
JOBS_OFF = ("bmlt", "smart", "samhsa", "laws")


def scheduler_config(path: Path, feed_url: str) -> Path:
    """Only the Meeting Guide job, with its first run as soon as the scheduler starts."""
    lines = [f'schedule_{job} = ""' for job in JOBS_OFF]
    lines += [
        'schedule_meeting_guide = "0 4 * * *"',
        f'meeting_guide_feeds = ["AA {feed_url}"]',
        "scheduler_run_on_start = true",
        "meeting_request_interval_seconds = 0.0",
        "http_max_retries = 0",
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def meeting_guide_runs(engine: Engine) -> list[ImportRun]:
    with Session(engine) as session:
        query = select(ImportRun).where(col(ImportRun.source) == "meeting-guide")
        return list(session.scalars(query))


def test_two_schedulers_run_a_job_once_and_a_manual_run_finds_it_busy(
    httpserver: HTTPServer, empty_engine: Engine, empty_db_url: str, tmp_path: Path
) -> None:
    asked = threading.Event()
    release = threading.Event()
    requests_seen: list[str] = []

    def slow_feed(request: Request) -> Response:
        # Hold the first run open until the test has seen the others turned away.
        requests_seen.append(request.path)
        asked.set()
        release.wait(timeout=60)
        return Response(FEED.read_bytes(), content_type="application/json")

    httpserver.expect_request("/feed").respond_with_handler(slow_feed)
    config = scheduler_config(tmp_path / "config.toml", httpserver.url_for("/feed"))
    env = {"LOCATOR_CONFIG": str(config)}
    logs = [tmp_path / "scheduler-1.log", tmp_path / "scheduler-2.log"]
    schedulers = [start_locator(["scheduler"], empty_db_url, log, **env) for log in logs]
    try:
        wait_until(asked.is_set, 60, "a scheduler to fetch the feed")
        wait_until(
            lambda: any("already running" in log.read_text() for log in logs),
            60,
            "the second scheduler to find the job busy",
        )
        manual = start_locator(
            ["scheduler", "--once", "meeting-guide"], empty_db_url, tmp_path / "once.log", **env
        )
        assert manual.wait(timeout=60) == 1
        assert "Not started" in (tmp_path / "once.log").read_text()
        live = start_locator(
            ["import", "meeting-guide", "--live"], empty_db_url, tmp_path / "live.log", **env
        )
        assert live.wait(timeout=60) == 1
        assert "already running" in (tmp_path / "live.log").read_text()
        release.set()
        wait_until(
            lambda: any(r.finished_at for r in meeting_guide_runs(empty_engine)),
            60,
            "the scheduled run to finish",
        )
    finally:
        release.set()
        for process in schedulers:
            stop(process)
    runs = meeting_guide_runs(empty_engine)
    assert len(runs) == 1, [log.read_text() for log in logs]
    assert runs[0].status == "ok" and runs[0].inserted == 3
    assert requests_seen == ["/feed"]
    assert sum("already running" in log.read_text() for log in logs) == 1
    assert Path(LOCATOR).exists()
