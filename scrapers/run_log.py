"""The ImportRun of every run_import: started, finished with its counts, or found interrupted."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.models import ImportRun, utcnow

if TYPE_CHECKING:  # base imports this module; the types are only annotations here
    from scrapers.base import ImportReport, Writer

log = logging.getLogger(__name__)

MAX_STORED_REJECTS = 500
ANALYZE_AFTER_ROWS = 1000


INTERRUPTED = (
    "interrupted: the importing process stopped before it finished (found still running "
    "when the next run started); nothing it read was stored"
)


def start_run(engine: Engine, source: str, input_digest: str = "") -> int:
    with Session(engine) as session:
        _close_interrupted_runs(session, source)
        run = ImportRun(
            source=source, started_at=utcnow(), status="running", input_digest=input_digest
        )
        session.add(run)
        session.commit()
        assert run.id is not None
        return run.id


def _close_interrupted_runs(session: Session, source: str) -> None:
    """Mark runs of ``source`` still 'running' as failed: their process died (kill -9, OOM).

    A run's transaction dies with its process, so its rows were never written; only its
    ImportRun stayed 'running'. Should such a run in fact still be alive (two imports of one
    source at once, which the job lock exists to prevent), its own finish overwrites this.
    """
    stale = session.scalars(
        select(ImportRun).where(col(ImportRun.source) == source, col(ImportRun.status) == "running")
    )
    for run in stale:
        run.status = "failed"
        run.error = INTERRUPTED
        run.finished_at = run.finished_at or utcnow()
        session.add(run)


_COUNTS = ("fetched", "inserted", "updated", "unchanged", "deactivated", "rejected")


def finish_run(engine: Engine, report: ImportReport) -> None:
    with Session(engine) as session:
        run = session.get(ImportRun, report.run_id)
        if run is None:  # pragma: no cover - the row was written at the start
            return
        run.finished_at = utcnow()
        run.status = report.status
        counts = (
            "fetched",
            "inserted",
            "updated",
            "unchanged",
            "deactivated",
            "rejected",
            "merged",
        )
        for name in counts:
            setattr(run, name, getattr(report, name))
        run.rejects = [
            {"row": r.row, "reason": r.reason} for r in report.rejects[:MAX_STORED_REJECTS]
        ]
        run.error = report.error or report.refresh_skipped
        run.unknown_services = sum(report.unknown_names.values())
        run.unknown_names = dict(report.unknown_names.most_common(MAX_STORED_REJECTS))
        session.add(run)
        session.commit()
    log.info(report.summary())


def refresh_statistics(engine: Engine, writer: Writer[Any], report: ImportReport) -> None:
    """ANALYZE the writer's tables on PostgreSQL after a large change.

    Without statistics a freshly loaded table gets generic plans that scan it for every
    batch of keys (an unchanged re-import of 20k rows took 10 s instead of 1 s; bench/import.py);
    autovacuum would analyze it only later.
    """
    changed = report.inserted + report.updated + report.deactivated
    tables: tuple[str, ...] = getattr(writer, "tables", ())
    if engine.dialect.name != "postgresql" or changed < ANALYZE_AFTER_ROWS or not tables:
        return
    with engine.begin() as connection:
        for table in tables:
            connection.exec_driver_sql(f"ANALYZE {table}")
