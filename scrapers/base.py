"""The import pipeline every source shares: validate, merge, upsert in one transaction, report.

An importer's parser yields records (or ``Rejected`` rows with a reason); ``run_import``
merges duplicates by key, compares each merged record with the stored row by content hash,
inserts, updates or leaves it, deactivates rows a full refresh no longer lists, and writes an
ImportRun. Any error before the commit rolls the whole write back, so a failed or half-fetched
run leaves the previous data exactly as it was; the ImportRun still records the failure.
"""

from __future__ import annotations

import gc
import hashlib
import json
import logging
import pickle
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol, TypeVar

import orjson
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.models import ImportRun
from scrapers.errors import EmptyFeedError as EmptyFeedError
from scrapers.errors import FeedSchemaError as FeedSchemaError
from scrapers.errors import FetchError as FetchError
from scrapers.errors import ImportError_ as ImportError_
from scrapers.errors import RefreshRefused as RefreshRefused
from scrapers.refresh import input_is_clean, retire
from scrapers.run_log import finish_run, refresh_statistics, start_run

log = logging.getLogger(__name__)

BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class Rejected:
    """A row that was not imported, with what identifies it and why."""

    row: str
    reason: str


class Record(Protocol):
    """What every importer's records offer to the pipeline."""

    @property
    def source_key(self) -> str: ...

    def fingerprint(self) -> dict[str, Any]: ...


R = TypeVar("R", bound=Record)


@dataclass(slots=True)
class Stored:
    """What the pipeline needs to know of a stored row."""

    id: int
    content_hash: str
    active: bool


class Writer(Protocol[R]):
    """Reads and writes one table for the pipeline (facilities, meetings, ...)."""

    def merge(self, first: R, second: R) -> R: ...

    def existing(self, session: Session, keys: list[str]) -> dict[str, Stored]: ...

    def insert(self, session: Session, records: list[tuple[R, str]], seen_on: date) -> None: ...

    def update(
        self, session: Session, records: list[tuple[int, R, str]], seen_on: date
    ) -> None: ...

    def touch(self, session: Session, ids: list[int], seen_on: date) -> None: ...

    def active_ids(self, session: Session) -> set[int]: ...

    def deactivate(self, session: Session, ids: list[int]) -> None: ...


@dataclass
class ImportReport:
    """The counts of one run, shown by the CLI and stored as an ImportRun."""

    source: str
    status: str = "running"
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0
    merged: int = 0  # rows folded into another row of this input (one site listed twice)
    # ... and rows stored as the same meeting another source already lists (counted in merged)
    merged_elsewhere: int = 0
    joined: int = 0  # new contributions to a facility another source already lists
    refresh_skipped: str = ""  # why a full refresh retired nothing (input with parse problems)
    input_digest: str = ""
    same_as: int | None = None  # the earlier run whose identical input this run did not re-read
    rejects: list[Rejected] = field(default_factory=list)
    error: str = ""
    run_id: int | None = None
    # Service names no codebook knows ("category: name" -> rows): kept raw, counted here.
    unknown_names: Counter[str] = field(default_factory=Counter)
    # Rows kept although incomplete (a meeting without a time zone): what is missing -> rows.
    kept_notes: Counter[str] = field(default_factory=Counter)

    def reject(self, rejected: Rejected) -> None:
        self.rejected += 1
        self.rejects.append(rejected)

    def summary(self) -> str:
        """Return the one-paragraph report printed at the end of a run."""
        text = (
            f"{self.source}: {self.status} — fetched {self.fetched}, inserted {self.inserted}, "
            f"updated {self.updated}, unchanged {self.unchanged}, "
            f"deactivated {self.deactivated}, rejected {self.rejected}, merged {self.merged}"
        )
        if self.merged_elsewhere:
            text += f" ({self.merged_elsewhere} with the same meeting another source lists)"
        if self.joined:
            text += f", joined {self.joined} sites another source lists"
        if self.unknown_names:
            top = ", ".join(f"{name} ({n})" for name, n in self.unknown_names.most_common(5))
            text += (
                f"\nunknown service names kept raw: {len(self.unknown_names)} distinct "
                f"on {sum(self.unknown_names.values())} rows — {top}"
            )
        for note, count in sorted(self.kept_notes.items()):
            text += f"\n{count} rows {note}"
        if self.same_as is not None:
            text += (
                f"\nthe same input as import run {self.same_as}: not read again; its "
                f"{self.unchanged} listings are marked seen"
            )
        if self.refresh_skipped:
            text += f"\n{self.refresh_skipped}"
        if self.error:
            text += f"\nerror: {self.error}"
        for rejected in self.rejects[:20]:
            text += f"\n  rejected {rejected.row}: {rejected.reason}"
        if self.rejected > 20:
            text += f"\n  … and {self.rejected - 20} more rejected rows (see the import run)"
        return text


def content_hash(fingerprint: dict[str, Any]) -> str:
    """Hash a record's comparable content, so unchanged rows are recognised cheaply."""
    try:
        blob = orjson.dumps(fingerprint, default=str, option=orjson.OPT_SORT_KEYS)
    except TypeError:  # e.g. an integer beyond 64 bits
        blob = b"\x80"
    if not blob.isascii():
        # Hashes stored by earlier versions came from json.dumps, which escapes non-ASCII
        # text: keep its exact bytes there. (orjson also writes 1e16 and NaN differently; a
        # record holding such a float would count as updated once.)
        text = json.dumps(fingerprint, sort_keys=True, default=str, separators=(",", ":"))
        blob = text.encode("utf-8")
    return hashlib.sha256(blob).hexdigest()


def run_import(
    engine: Engine,
    *,
    source: str,
    items: Iterable[R | Rejected],
    writer: Writer[R],
    seen_on: date,
    full_refresh: bool = False,
    allow_empty: bool = False,
    progress: Callable[[int], None] | None = None,
    prepare: Callable[[Session], object] | None = None,
    max_retire_share: float = 1.0,
    force: bool = False,
    input_digest: str = "",
) -> ImportReport:
    """Import ``items`` into the store in one transaction and record an ImportRun.

    Args:
        items: the parser's output; it may raise FeedSchemaError or FetchError part-way.
        full_refresh: the items are everything the source lists (within the writer's
            scope), so stored rows not among them become inactive.
        allow_empty: a source that can legitimately be empty (declared, never assumed).
        progress: called with the number of rows read so far.
        prepare: writes that belong to this run's transaction (e.g. a file's codebook).
        max_retire_share: a full refresh that would retire more than this share of the
            source's active rows is refused, unless ``force``.
        input_digest: what the input is (a file's bytes and the parser's version). When the
            source's last successful run read the same input, nothing is read again: its
            rows are marked seen and its counts carried over (never with ``full_refresh``).

    Raises:
        ImportError_: the run failed; nothing was written but the failed ImportRun.
    """
    report = ImportReport(source=source, input_digest=input_digest)
    report.run_id = start_run(engine, source, input_digest)
    try:
        if input_digest and not full_refresh and _same_input(engine, report, writer, seen_on):
            return report
        with Session(engine) as session, _unmapped(session), _unprepared(session):
            with _gc_paused():
                merged = _collect(items, report, writer, progress)
            if not merged and not allow_empty:
                raise EmptyFeedError(
                    f"The {source} feed held no usable rows "
                    f"({report.fetched} read, {report.rejected} rejected); nothing was changed."
                )
            if prepare is not None:
                prepare(session)
            active_before = writer.active_ids(session) if full_refresh else set()
            begin = getattr(writer, "begin", None)
            if begin is not None:
                begin(session)
            seen = _write(session, merged, writer, report, seen_on)
            report.joined = getattr(writer, "joined", 0)
            report.merged_elsewhere = getattr(writer, "merged_elsewhere", 0)
            report.merged += report.merged_elsewhere
            if full_refresh and input_is_clean(report):
                share = 1.0 if force else max_retire_share
                report.deactivated = retire(session, writer, active_before, seen, share, BATCH_SIZE)
            finish = getattr(writer, "finish", None)
            if finish is not None:
                finish(session)
            session.commit()
        report.status = "partial" if report.rejected else "ok"
        refresh_statistics(engine, writer, report)
    except ImportError_ as exc:
        _fail(report, str(exc))
        raise
    except Exception as exc:
        _fail(report, f"{type(exc).__name__}: {exc}")
        raise
    finally:
        finish_run(engine, report)
    return report


def _fail(report: ImportReport, message: str) -> None:
    report.status = "failed"
    report.error = message
    report.inserted = report.updated = report.unchanged = report.deactivated = 0
    report.merged = report.joined = report.merged_elsewhere = 0


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while an import gathers its records.

    Each of the ~100k acyclic records it keeps triggers collections that walk all the others
    again (a tenth of an unchanged re-import; bench/import.py); reference counting frees
    everything else as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def _unmapped(session: Session) -> Iterator[None]:
    """Read a SQLite store through its page cache, not memory-mapped, while an import runs.

    The pages of the store an import reads (a second directory joins the first's sites)
    count in its resident memory when mapped: 35 MB of a national first load's 259 MB peak.
    The connection's own setting (locator/db.py) is put back for whoever uses it next.
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection().connection.driver_connection
    mapped = connection.execute("PRAGMA mmap_size").fetchone()[0]  # type: ignore[union-attr]
    connection.execute("PRAGMA mmap_size=0")  # type: ignore[union-attr]
    try:
        yield
    finally:
        # Only a speed setting: a connection broken by the import's own error keeps it.
        with suppress(sqlite3.Error):
            connection.execute(f"PRAGMA mmap_size={int(mapped)}")  # type: ignore[union-attr]


@contextmanager
def _unprepared(session: Session) -> Iterator[None]:
    """Plan each of an import's statements for its own values on PostgreSQL: none prepared.

    A table growing inside this transaction makes psycopg's prepared statements (prepared
    after 5 runs, their generic plans made on the empty table) scan it for every batch of
    keys. Not ``plan_cache_mode = force_custom_plan``: that also replans the foreign-key
    check each service row fires inside the server, 1.3 million plans on a national first
    load (13 of its 29 seconds; bench/national.py). psycopg's own setting is put
    back for whoever uses the connection next.
    """
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    connection = session.connection().connection.driver_connection
    threshold = connection.prepare_threshold  # type: ignore[union-attr]
    connection.prepare_threshold = None  # type: ignore[union-attr]
    try:
        yield
    finally:
        connection.prepare_threshold = threshold  # type: ignore[union-attr]


def _collect(
    items: Iterable[R | Rejected],
    report: ImportReport,
    writer: Writer[R],
    progress: Callable[[int], None] | None,
) -> dict[str, tuple[str, bytes]]:
    """Merge the rows of one key; return each merged record's content hash and the record
    pickled, in first-seen order.

    Pickled, a national directory's record (~55 service codes) takes 0.7 kB instead of ~5 kB
    as objects, so the whole input is held (a key may come again on its last row) without
    holding every record and its services as objects; _write reads back only the records it
    writes (an unchanged one is known by its hash), a batch at a time.
    """
    merged: dict[str, tuple[str, bytes]] = {}
    for item in items:
        report.fetched += 1
        if progress is not None:
            progress(report.fetched)
        if isinstance(item, Rejected):
            report.reject(item)
            continue
        for category, name in getattr(item, "unmapped_services", ()):
            report.unknown_names[f"{category}: {name}"] += 1
        for note in getattr(item, "import_notes", ()):
            report.kept_notes[note] += 1
        key = item.source_key
        previous = merged.get(key)
        if previous is not None:
            item = writer.merge(_thaw(previous[1]), item)
            report.merged += 1
        merged[key] = (
            content_hash(item.fingerprint()),
            pickle.dumps(item, pickle.HIGHEST_PROTOCOL),
        )
    return merged


def _thaw(blob: bytes) -> Any:
    # Only bytes _collect pickled in this process a moment ago, never input from outside.
    return pickle.loads(blob)  # noqa: S301


def _write(
    session: Session,
    merged: dict[str, tuple[str, bytes]],
    writer: Writer[R],
    report: ImportReport,
    seen_on: date,
) -> set[int]:
    """Insert, update or touch every merged record; return the ids of stored rows seen.

    Each batch's records are read back from ``merged`` (only those written: an unchanged
    one is known by its hash) and released once written.
    """
    seen: set[int] = set()
    keys = list(merged)
    for start in range(0, len(keys), BATCH_SIZE):
        batch = keys[start : start + BATCH_SIZE]
        stored = writer.existing(session, batch)
        inserts: list[tuple[R, str]] = []
        updates: list[tuple[int, R, str]] = []
        unchanged: list[int] = []
        for key in batch:
            digest, blob = merged.pop(key)
            row = stored.get(key)
            if row is None:
                inserts.append((_thaw(blob), digest))
            elif row.content_hash != digest or not row.active:
                updates.append((row.id, _thaw(blob), digest))
            else:
                unchanged.append(row.id)
        writer.insert(session, inserts, seen_on)
        writer.update(session, updates, seen_on)
        writer.touch(session, unchanged, seen_on)
        report.inserted += len(inserts)
        report.updated += len(updates)
        report.unchanged += len(unchanged)
        seen.update(unchanged)
        seen.update(row_id for row_id, _record, _digest in updates)
    return seen


def _same_input(engine: Engine, report: ImportReport, writer: Writer[Any], seen_on: date) -> bool:
    """Carry the last successful run's counts over if it read the same input; say whether.

    The rows it stored are still what this input says (only a run of this source changes
    them), so they are marked seen on ``seen_on`` in one statement instead of read again.
    """
    touch_source = getattr(writer, "touch_source", None)
    with Session(engine) as session:
        last = session.scalars(
            select(ImportRun)
            .where(
                col(ImportRun.source) == report.source,
                col(ImportRun.status).in_(("ok", "partial")),
                col(ImportRun.id) != report.run_id,
            )
            .order_by(col(ImportRun.id).desc())
            .limit(1)
        ).first()
        if touch_source is None or last is None or last.input_digest != report.input_digest:
            return False
        report.fetched, report.rejected, report.merged = last.fetched, last.rejected, last.merged
        report.unchanged = last.inserted + last.updated + last.unchanged
        report.rejects = [Rejected(r["row"], r["reason"]) for r in last.rejects]
        report.same_as, report.status = last.id, last.status
        touch_source(session, seen_on)
        session.commit()
    return True


def iter_batches(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    """Yield lists of at most ``size`` items."""
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
