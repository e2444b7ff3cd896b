"""Fetch BMLT root servers: each server's formats, service bodies and meetings, or an area.

The parsing (pure) is scrapers/bmlt.py; this module does the I/O: the configured server
list (an explicit list, else the aggregator's serverList.json plus extras), one server after
another with the run's FormatBook, and the aggregator's answers around one point.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from locator.config import Settings
from locator.text import clean
from scrapers.base import FeedSchemaError, FetchError, Rejected
from scrapers.bmlt import (
    Format,
    FormatBook,
    ServerData,
    meetings_and_formats,
    parse_formats,
    parse_server,
    parse_service_bodies,
    root_of,
    server_url,
    value,
)
from scrapers.http import HttpClient
from scrapers.meeting_merge import merge_duplicates
from scrapers.meetings import MeetingRecord

log = logging.getLogger(__name__)
AGGREGATOR_MAX_KM = 160.0


def semantic_url(root: str) -> str:
    """Return the JSON semantic-interface URL of a root server."""
    return server_url(root) + "/client_interface/json/"


def fetch_server(client: HttpClient, root: str) -> ServerData:
    """Fetch one root server's formats, service bodies and full meeting dump."""
    url = semantic_url(root)
    formats = parse_formats(client.get_json(url, {"switcher": "GetFormats"}), root)
    bodies = parse_service_bodies(client.get_json(url, {"switcher": "GetServiceBodies"}), root)
    meetings, _ = meetings_and_formats(client.get_json(url, {"switcher": "GetSearchResults"}), root)
    return ServerData(server_url(root), formats, meetings, bodies)


def read_server_list(client: HttpClient, list_url: str) -> list[str]:
    """Return the root-server URLs of the aggregator's serverList.json."""
    data = client.get_json(list_url)
    if not isinstance(data, list) or any(not isinstance(r, dict) or "url" not in r for r in data):
        raise FeedSchemaError(f"{list_url}: the server list is not a list of {{id, name, url}}.")
    return [str(row["url"]) for row in data]


def server_urls(client: HttpClient, settings: Settings) -> list[str]:
    """Return the configured servers: an explicit list, else the aggregator's plus extras."""
    explicit = list(settings.bmlt_servers)
    found = explicit or read_server_list(client, settings.bmlt_server_list_url)
    if not explicit:
        found = [*found, *settings.bmlt_extra_servers]
    return list(dict.fromkeys(_normalised_or_raw(u) for u in found))


def _normalised_or_raw(url: str) -> str:
    """Normalise a listed URL; a malformed one is kept as is, to be rejected by its fetch."""
    try:
        return server_url(url)
    except ValueError:
        return clean(url)


def live_items(
    client: HttpClient,
    roots: list[str],
    fetched: set[str],
    notify: Callable[[str], None] = log.info,
    book: FormatBook | None = None,
) -> Iterator[MeetingRecord | Rejected]:
    """Fetch every server in turn and yield its records, merged across servers.

    A server that cannot be fetched (timeout, error status, an HTML page) is reported as a
    rejected row and left out of the refresh; its stored meetings stay as they were. A
    server whose answer changed shape fails the whole run (FeedSchemaError).
    """

    def each() -> Iterator[MeetingRecord | Rejected]:
        for root in roots:
            try:
                server = fetch_server(client, root)
            except (FetchError, ValueError) as exc:
                notify(f"{root}: skipped, {exc}")
                yield Rejected(root, f"server not refreshed: {exc}")
                continue
            fetched.add(server.url)
            notify(f"{root}: {len(server.meetings)} meetings")
            yield from parse_server(formats.read(server))

    formats = book if book is not None else FormatBook()

    return merge_duplicates(each())


def area_items(
    client: HttpClient, aggregator: str, lat: float, lon: float, radius_km: float
) -> Iterator[MeetingRecord | Rejected]:
    """Ask the aggregator for the meetings around one point (at most 160 km)."""
    data = client.get_json(
        semantic_url(aggregator),
        {
            "switcher": "GetSearchResults",
            "lat_val": f"{lat:.6f}",
            "long_val": f"{lon:.6f}",
            "geo_width_km": f"{min(radius_km, AGGREGATOR_MAX_KM):g}",
            "get_used_formats": "1",
        },
    )
    meetings, formats = meetings_and_formats(data, aggregator)
    by_server: dict[str, dict[str, Format]] = {}
    if isinstance(data, dict):
        for row in data.get("formats") or ():
            origin = root_of(row, aggregator)
            if origin:
                by_server.setdefault(origin, {}).update(parse_formats([row], aggregator))
    return merge_duplicates(_per_server(meetings, by_server, formats or {}, aggregator))


def _per_server(
    meetings: list[Any],
    by_server: dict[str, dict[str, Format]],
    fallback: dict[str, Format],
    aggregator: str,
) -> Iterator[MeetingRecord | Rejected]:
    """Parse an aggregator answer server by server: its rows are keyed by their own server."""
    groups: dict[str, list[Any]] = {}
    for row in meetings:
        origin = root_of(row, aggregator)
        if not origin:
            uri = str(row.get("root_server_uri"))[:80] if isinstance(row, dict) else "?"
            meeting_id = value(row, "id_bigint") if isinstance(row, dict) else "?"
            yield Rejected(
                f"{aggregator} meeting {meeting_id or '?'}",
                f"root_server_uri {uri!r} is not a server URL, so the meeting has no safe key",
            )
            continue
        groups.setdefault(origin, []).append(row)
    for origin, rows in groups.items():
        formats = by_server.get(origin, fallback)
        yield from parse_server(ServerData(origin, formats, rows))
