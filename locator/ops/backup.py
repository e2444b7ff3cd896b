"""Backup and restore of the store: SQLite through its online backup API, PostgreSQL through
pg_dump / pg_restore (custom format).

A SQLite backup is taken page by page while the site keeps serving and importing (readers and
writers wait at most one step). A restore first checks the file is a locator database at the
current migration, and refuses to replace a database that is set up unless forced.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.engine import URL

from locator.db import alembic_config, is_sqlite
from locator.errors import LocatorError

PAGES_PER_STEP = 1024  # 4 MB at a time, so a long backup never holds the database for long


class BackupError(LocatorError):
    """A backup or restore could not be made; the message says why and what to do."""


def current_revision() -> str:
    """Return the newest migration of this version of the code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise BackupError("The migrations have no head revision.")
    return head


def backup(engine: Engine, target: Path, *, force: bool = False) -> str:
    """Copy the database behind ``engine`` to ``target``; return a sentence saying what was done."""
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another path or add --force to replace it.")
    if is_sqlite(engine):
        _sqlite_backup(_sqlite_path(engine), target)
        return f"SQLite database copied to {target} (online backup)."
    _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target)], engine.url)
    return f"PostgreSQL database dumped to {target} (pg_dump --format=custom)."


def restore(engine: Engine, source: Path, *, force: bool = False) -> str:
    """Replace the database behind ``engine`` with the backup ``source``."""
    if not source.is_file():
        raise BackupError(f"There is no backup file at {source}.")
    if _is_set_up(engine) and not force:
        raise BackupError(
            "The database already holds a locator store; add --force to replace it with "
            f"{source} (everything written since that backup is lost)."
        )
    if is_sqlite(engine):
        _check_revision(_sqlite_revision(source), source)
        _sqlite_restore(source, _sqlite_path(engine))
    else:
        _check_revision(_dump_revision(source), source)
        engine.dispose()  # no pooled connection of ours may hold a lock on a dropped table
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"],
            engine.url,
            str(source),
            target_flag="--dbname",
        )
    return f"Database restored from {source}."


def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def _sqlite_backup(source: Path, target: Path) -> None:
    """Copy with sqlite3's backup API (a consistent copy even while others write)."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(partial)) as dst:
        src.backup(dst, pages=PAGES_PER_STEP)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    partial.replace(target)


def _sqlite_restore(source: Path, target: Path) -> None:
    """Copy the backup into the live file with the backup API, so open connections (a running
    site) see the restored content instead of a file replaced under them."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst, pages=PAGES_PER_STEP)


def _sqlite_revision(path: Path) -> str | None:
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as connection:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a locator SQLite database ({exc}).") from exc
    return str(row[0]) if row else None


def _dump_revision(path: Path) -> str | None:
    """Read alembic_version's row out of a pg_dump archive without restoring it."""
    try:
        listing = _run(
            ["pg_restore", "--data-only", "--table=alembic_version", "--file=-"], None, str(path)
        )
    except BackupError as exc:
        raise BackupError(f"{path} is not a locator pg_dump archive ({exc}).") from exc
    found = re.search(r"COPY public\.alembic_version .*? FROM stdin;\n(\S+)\n", listing)
    return found.group(1) if found else None


def _check_revision(found: str | None, source: Path) -> None:
    expected = current_revision()
    if found is None:
        raise BackupError(f"{source} is not a locator database (no migration recorded).")
    if found != expected:
        raise BackupError(
            f"{source} is at migration {found}, this version expects {expected}: restore it "
            "with the version that made it, then run `locator migrate`."
        )


def _is_set_up(engine: Engine) -> bool:
    if is_sqlite(engine) and not _sqlite_path(engine).exists():
        return False
    with engine.connect() as connection:
        return inspect(connection).has_table("alembic_version")


def _run(argv: list[str], url: URL | None, *extra: str, target_flag: str = "") -> str:
    """Run a PostgreSQL client tool; the password goes through PGPASSWORD, not argv."""
    tool = shutil.which(argv[0])
    if tool is None:
        raise BackupError(f"{argv[0]} is not on PATH; install the PostgreSQL client tools.")
    env = dict(os.environ)
    if url is not None:
        if url.password:
            env["PGPASSWORD"] = str(url.password)
        conninfo = url.set(drivername="postgresql", password=None).render_as_string(False)
        argv = [*argv, f"{target_flag}={conninfo}" if target_flag else conninfo]
    done = subprocess.run(  # noqa: S603 - fixed tool, arguments are not shell-parsed
        [tool, *argv[1:], *extra], env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed: {done.stderr.strip() or done.returncode}")
    return done.stdout
