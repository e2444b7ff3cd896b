"""Failed runs recorded for imports that fail before run_import starts.

run_import writes the ImportRun of every run it starts. An import can fail earlier — a
workbook that will not open, a saved answer in another encoding, an unreachable server list,
a crawl that is switched off — and that failure belongs on /admin/imports too, with its reason.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from locator.models import ImportRun, utcnow
from scrapers.base import ImportError_

log = logging.getLogger(__name__)


def record_failed_run(
    engine: Engine, source: str, error: str, *, started_at: datetime | None = None
) -> int | None:
    """Store a failed ImportRun of ``source`` saying why; return its id.

    A store that cannot take the row (it is down too) is logged, never raised: the caller
    is already reporting the failure that matters.
    """
    finished = utcnow()
    run = ImportRun(
        source=source,
        started_at=started_at or finished,
        finished_at=finished,
        status="failed",
        error=error,
    )
    try:
        with Session(engine) as session:
            session.add(run)
            session.commit()
            return run.id
    except SQLAlchemyError:
        log.exception("%s: could not record the failed run (%s)", source, error)
        return None


@contextmanager
def failures_recorded(engine: Engine, source: str) -> Iterator[None]:
    """Record an error raised in the block (the steps before run_import), then re-raise it."""
    started = utcnow()
    try:
        yield
    except ImportError_ as exc:
        record_failed_run(engine, source, str(exc), started_at=started)
        raise
    except Exception as exc:
        record_failed_run(engine, source, f"{type(exc).__name__}: {exc}", started_at=started)
        raise
