"""A database lock per job: a second scheduler, or a manual import during a scheduled one,
finds the job busy instead of running it twice.

PostgreSQL uses a session-level advisory lock (released even if the process dies, since its
connection dies with it). SQLite uses a row in ``job_lock`` with an expiry, so a holder that
crashed does not block the job for ever.
"""

from __future__ import annotations

import hashlib
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Engine, delete, insert, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from locator.models import JobLock, utcnow
from scrapers.base import ImportError_


class JobBusyError(ImportError_):
    """The job is already running elsewhere."""


def lock_key(name: str) -> int:
    """Return a stable signed 63-bit key for PostgreSQL's advisory locks."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big") >> 1


def holder_id() -> str:
    """Identify this process for the lock row."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@contextmanager
def job_lock(engine: Engine, name: str, *, hours: float = 6.0) -> Iterator[str]:
    """Hold the lock of job ``name`` for the duration of the block.

    Raises:
        JobBusyError: another process holds it.
    """
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, name) as holder:
            yield holder
    else:
        with _row_lock(engine, name, hours) as holder:
            yield holder


@contextmanager
def _advisory_lock(engine: Engine, name: str) -> Iterator[str]:
    key = lock_key(name)
    with engine.connect() as connection:
        got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        connection.commit()
        if not got:
            raise JobBusyError(f"The job {name!r} is already running; not starting it twice.")
        try:
            yield f"pg-backend-{name}"
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


@contextmanager
def _row_lock(engine: Engine, name: str, hours: float) -> Iterator[str]:
    holder = holder_id()
    now = utcnow()
    try:
        with engine.begin() as connection:
            connection.execute(
                delete(JobLock).where(col(JobLock.name) == name, col(JobLock.expires_at) < now)
            )
            connection.execute(
                insert(JobLock).values(
                    name=name,
                    holder=holder,
                    acquired_at=now,
                    expires_at=now + timedelta(hours=hours),
                )
            )
    except IntegrityError as exc:
        raise JobBusyError(f"The job {name!r} is already running; not starting it twice.") from exc
    try:
        yield holder
    finally:
        with engine.begin() as connection:
            connection.execute(
                delete(JobLock).where(col(JobLock.name) == name, col(JobLock.holder) == holder)
            )
