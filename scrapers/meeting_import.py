"""Run the meeting importers: live (all servers/feeds/pages) or from a file, and on schedule.

Each live run is one full refresh of its source: meetings no longer listed by a server or
feed that answered become inactive; a server or feed that did not answer is reported as a
rejected row and its meetings stay as they were. A file import only adds and updates.
A failure before run_import starts (a file that cannot be read, no server list, a crawl that is
off) is recorded as a failed ImportRun too (scrapers/runs.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session

from locator.config import Settings, settings_of
from locator.models import MeetingFormat
from locator.places.geo import Point
from scrapers import bmlt, bmlt_fetch, meeting_guide, smart
from scrapers.base import FeedSchemaError, ImportReport, Rejected, run_import
from scrapers.files import TEXT_ENCODING, FileOptions, read_json, utf8_errors
from scrapers.http import HttpClient, client_from_config
from scrapers.meeting_merge import merge_duplicates
from scrapers.meetings import MeetingRecord, MeetingWriter
from scrapers.runs import failures_recorded, record_failed_run

log = logging.getLogger(__name__)
Notify = Callable[[str], None]
Items = Iterable[MeetingRecord | Rejected]


def _run(
    engine: Engine,
    source: str,
    note: str,
    items: Items,
    *,
    full_refresh: bool = False,
    scope: set[str] | None = None,
    progress: Callable[[int], None] | None = None,
    seen_on: date | None = None,
    prepare: Callable[[Session], object] | None = None,
) -> ImportReport:
    writer = MeetingWriter(source=source, source_note=note, scope_urls=scope)
    return run_import(
        engine,
        source=source,
        items=items,
        writer=writer,
        seen_on=seen_on or date.today(),
        full_refresh=full_refresh,
        progress=progress,
        prepare=prepare,
    )


def bmlt_file_items(path: Path, server: str, book: bmlt.FormatBook | None = None) -> Items:
    """Parse a saved GetSearchResults answer (a list, or the get_used_formats envelope).

    The server is ``server`` (``--server``) when given: it wins over the file's
    ``root_server_uri``, which some servers send malformed ("http:"). A file without format
    definitions is read through ``book`` (the formats stored for that server, else the stock
    ones), so its meetings keep their formats and attendance.
    """
    data = read_json(path)
    meetings, formats = bmlt.meetings_and_formats(data, server)
    origin = server
    if isinstance(data, dict) and not server:
        uris = {bmlt.root_of(f, "") for f in data.get("formats") or () if isinstance(f, dict)}
        if len(uris) == 1 and "" not in uris:
            origin = uris.pop()
    if not origin:
        raise FeedSchemaError(f"{path.name} does not say its server: pass --server URL.")
    try:
        url = bmlt.server_url(origin)
    except ValueError as exc:
        raise FeedSchemaError(f"--server: {exc}") from None
    read = (book or bmlt.FormatBook()).read(bmlt.ServerData(url, formats or {}, meetings))
    return merge_duplicates(bmlt.parse_server(read))


def format_book(engine: Engine) -> bmlt.FormatBook:
    """Return the formats stored for every BMLT server."""
    book = bmlt.FormatBook()
    with Session(engine) as session:
        for row in session.scalars(select(MeetingFormat)):
            found = bmlt.Format(row.key, row.name, row.world_id, row.kind)
            book.stored.setdefault(row.server_url, {})[row.key] = found
    return book


def format_writer(book: bmlt.FormatBook, seen_on: date) -> Callable[[Session], None]:
    """Return the run's step that stores the formats its answers gave (never deletes)."""

    def write(session: Session) -> None:
        for url, formats in book.given.items():
            for item in formats.values():
                session.merge(
                    MeetingFormat(
                        server_url=url[:500],
                        key=item.key[:64],
                        name=item.name[:300],
                        world_id=item.world_id[:64],
                        kind=item.kind[:64],
                        last_seen=seen_on,
                    )
                )
        session.flush()

    return write


def import_bmlt_file(engine: Engine, path: Path, server: str = "", **options: Any) -> ImportReport:
    """Import a saved BMLT answer."""
    with failures_recorded(engine, bmlt.SOURCE):
        book = format_book(engine)
        items = list(bmlt_file_items(path, server, book))
    seen_on = options.pop("seen_on", None) or date.today()
    prepare = format_writer(book, seen_on)
    return _run(
        engine, bmlt.SOURCE, bmlt.SOURCE_NOTE, items, prepare=prepare, seen_on=seen_on, **options
    )


def bmlt_file(engine: Engine, path: Path, options: FileOptions) -> ImportReport:
    """Import a saved BMLT answer; option ``server``: the root server it came from."""
    server = str(options.values.get("server", ""))
    return import_bmlt_file(engine, path, server, progress=options.progress)


def import_bmlt_live(
    engine: Engine, config: Settings | Mapping[str, Any], notify: Notify = log.info
) -> ImportReport:
    """Refresh every configured BMLT root server (one full refresh)."""
    settings = settings_of(config)
    client = client_from_config(settings, min_interval=settings.meeting_request_interval_seconds)
    with client.session:
        with failures_recorded(engine, bmlt.SOURCE):
            roots = bmlt_fetch.server_urls(client, settings)
        fetched: set[str] = set()
        book = format_book(engine)
        items = bmlt_fetch.live_items(client, roots, fetched, notify, book)
        return _run(
            engine,
            bmlt.SOURCE,
            bmlt.SOURCE_NOTE,
            items,
            full_refresh=True,
            scope=fetched,
            prepare=format_writer(book, date.today()),
        )


def import_bmlt_area(
    engine: Engine, config: Settings | Mapping[str, Any], point: Point, radius_km: float
) -> ImportReport:
    """Refresh the meetings around one point through the aggregator (adds and updates only)."""
    settings = settings_of(config)
    client = client_from_config(settings, min_interval=settings.meeting_request_interval_seconds)
    with client.session, failures_recorded(engine, bmlt.SOURCE):
        items = list(
            bmlt_fetch.area_items(
                client, settings.bmlt_aggregator_url, point.lat, point.lon, radius_km
            )
        )
    return _run(engine, bmlt.SOURCE, bmlt.SOURCE_NOTE, items)


def import_meeting_guide_file(
    engine: Engine, path: Path, feed_url: str, fellowship: str, **options: Any
) -> ImportReport:
    """Import a saved Meeting Guide feed."""
    with failures_recorded(engine, meeting_guide.SOURCE):
        data = read_json(path)
    items = meeting_guide.parse_feed(data, feed_url, fellowship.upper())
    return _run(engine, meeting_guide.SOURCE, meeting_guide.SOURCE_NOTE, items, **options)


def meeting_guide_file(engine: Engine, path: Path, options: FileOptions) -> ImportReport:
    """Import a saved feed; options ``feed_url`` (default: the file) and ``fellowship`` (AA)."""
    origin = str(options.values.get("feed_url", "")) or path.resolve().as_uri()
    fellowship = str(options.values.get("fellowship", "AA"))
    return import_meeting_guide_file(engine, path, origin, fellowship, progress=options.progress)


def import_meeting_guide_live(
    engine: Engine, config: Settings | Mapping[str, Any], notify: Notify = log.info
) -> ImportReport:
    """Refresh every configured Meeting Guide feed (one full refresh)."""
    with failures_recorded(engine, meeting_guide.SOURCE):
        settings = settings_of(config)
        feeds = [meeting_guide.parse_feed_setting(e) for e in settings.meeting_guide_feeds]
        if not feeds:
            raise FeedSchemaError("No Meeting Guide feed is configured (meeting_guide_feeds).")
    client = client_from_config(settings, min_interval=settings.meeting_request_interval_seconds)
    with client.session:
        fetched: set[str] = set()
        items = meeting_guide.live_items(client, feeds, fetched, notify)
        return _run(
            engine,
            meeting_guide.SOURCE,
            meeting_guide.SOURCE_NOTE,
            items,
            full_refresh=True,
            scope=fetched,
        )


def import_smart_file(engine: Engine, path: Path, **options: Any) -> ImportReport:
    """Import an operator's SMART CSV."""
    with (
        failures_recorded(engine, smart.SOURCE),
        utf8_errors(path),
        path.open(encoding=TEXT_ENCODING, newline="") as handle,
    ):
        items = list(smart.parse_csv(handle, path.name))
    return _run(engine, smart.SOURCE, smart.SOURCE_NOTE, items, **options)


def smart_file(engine: Engine, path: Path, options: FileOptions) -> ImportReport:
    """Import an operator's SMART CSV (no options of its own)."""
    return import_smart_file(engine, path, progress=options.progress)


def import_smart_live(
    engine: Engine,
    config: Settings | Mapping[str, Any],
    notify: Notify = log.info,
    client: HttpClient | None = None,
) -> ImportReport:
    """Crawl SMART's meeting pages (only when ``smart_enabled``), politely."""
    settings = settings_of(config)
    if not settings.smart_enabled:
        off = (
            "The SMART Recovery crawl is off: set smart_enabled = true in config.toml once "
            "you have checked its terms, or load a CSV with --file."
        )
        record_failed_run(engine, smart.SOURCE, off)
        raise FeedSchemaError(off)
    interval = max(2.0, settings.smart_request_interval_seconds)
    client = client or client_from_config(settings, min_interval=interval, honour_robots=True)
    with client.session:
        fetched: set[str] = set()
        items = smart.live_items(client, settings.smart_sitemap_url, fetched, notify)
        return _run(
            engine, smart.SOURCE, smart.SOURCE_NOTE, items, full_refresh=True, scope=fetched
        )


def scheduled_bmlt(engine: Engine, config: Settings | Mapping[str, Any]) -> ImportReport:
    """Scheduler job: refresh NA meetings from every BMLT server."""
    return import_bmlt_live(engine, config)


def scheduled_meeting_guide(
    engine: Engine, config: Settings | Mapping[str, Any]
) -> ImportReport | None:
    """Scheduler job: refresh the Meeting Guide feeds (skipped when none is configured)."""
    settings = settings_of(config)
    if not settings.meeting_guide_feeds:
        log.info("meeting-guide: no feed configured; nothing to do")
        return None
    return import_meeting_guide_live(engine, settings)


def scheduled_smart(engine: Engine, config: Settings | Mapping[str, Any]) -> ImportReport | None:
    """Scheduler job: crawl SMART's pages when enabled."""
    settings = settings_of(config)
    if not settings.smart_enabled:
        log.info("smart: crawl disabled (smart_enabled = false); nothing to do")
        return None
    return import_smart_live(engine, settings)
