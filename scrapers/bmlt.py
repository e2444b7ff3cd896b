"""Narcotics Anonymous meetings from BMLT root servers (the semantic interface).

Publisher: each NA region or zone runs a BMLT root server; the worldwide aggregator
(https://aggregator.bmltenabled.org/main_server/) imports them and answers filtered queries.
URL: ``{root}/client_interface/json/?switcher=GetSearchResults`` (full dump per server),
``GetFormats``, ``GetServiceBodies``; the server list is the aggregator's serverList.json,
plus Virtual NA (https://bmlt.virtual-na.org/main_server/), which is not in it.
Terms: no licence is stated; the data is published for meeting lists. We store venue and
schedule facts only (BMLT hides contact names from anonymous callers), send an identifying
User-Agent and wait between requests. Cadence: the aggregator refreshes every 4 hours; we
refresh daily. Format notes: shared/sources/meetings.md §1.

Traps handled here: every value is a string; weekdays run 1-7 from Sunday; coordinates "0"
mean no location; ``time_zone`` may be empty (inferred offline and marked); ``venue_type``
may be empty (read the VM/HY/TC formats instead); legacy values carry ``Label#@-@#Value``;
format keys are per server, so meaning comes from ``world_id``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import time
from typing import Any

from locator.config import Settings
from locator.meetings.types import WORLD_ID_TYPES, type_names
from locator.text import clean
from scrapers.base import FeedSchemaError, FetchError, Rejected
from scrapers.http import HttpClient
from scrapers.meetings import (
    MeetingRecord,
    merge_duplicates,
    stable_key,
    with_time_zone,
    without_venue_formats,
)

log = logging.getLogger(__name__)

SOURCE = "bmlt"
SOURCE_NOTE = "Narcotics Anonymous meeting lists (BMLT root servers)."
REQUIRED_KEYS = ("id_bigint", "meeting_name", "weekday_tinyint", "start_time")
FORMAT_KEYS = ("key_string", "name_string")
LEGACY_SEPARATOR = "#@-@#"
VENUES = {"1": "in_person", "2": "online", "3": "hybrid"}
AGGREGATOR_MAX_KM = 160.0
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


@dataclass(frozen=True, slots=True)
class Format:
    """One format of one server: its display key, name and shared meaning (world_id)."""

    key: str
    name: str
    world_id: str
    kind: str


@dataclass(slots=True)
class ServerData:
    """What one root server returned: its formats, service bodies and meetings."""

    url: str
    formats: dict[str, Format]
    meetings: list[Any]
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)


def server_url(url: str) -> str:
    """Normalise a root-server URL: no trailing slash, lower-case scheme and host."""
    text = clean(url).rstrip("/")
    scheme, _, rest = text.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme.lower()}://{host.lower()}{slash}{path}"


def value(row: Mapping[str, Any], key: str) -> str:
    """Return a field as clean text, keeping only what follows a legacy ``#@-@#`` label."""
    text = row.get(key)
    if text is None:
        return ""
    return clean(str(text).split(LEGACY_SEPARATOR)[-1])


def parse_formats(data: Any, url: str) -> dict[str, Format]:
    """Read a GetFormats answer into formats keyed by ``key_string``.

    Raises:
        FeedSchemaError: the answer is not a list of format objects.
    """
    if not isinstance(data, list) or (data and not isinstance(data[0], dict)):
        raise FeedSchemaError(f"{url}: GetFormats did not return a list of formats.")
    found: dict[str, Format] = {}
    for row in data:
        missing = [k for k in FORMAT_KEYS if k not in row]
        if missing:
            raise FeedSchemaError(f"{url}: a format lacks {', '.join(missing)}.")
        key = value(row, "key_string")
        found[key] = Format(
            key,
            value(row, "name_string"),
            value(row, "world_id").upper(),
            value(row, "format_type_enum"),
        )
    return found


def parse_service_bodies(data: Any, url: str) -> dict[str, dict[str, Any]]:
    """Read a GetServiceBodies answer into bodies keyed by id."""
    if not isinstance(data, list) or any(not isinstance(r, dict) or "id" not in r for r in data):
        raise FeedSchemaError(f"{url}: GetServiceBodies did not return a list of bodies.")
    return {str(row["id"]): row for row in data}


def meetings_and_formats(data: Any, url: str) -> tuple[list[Any], dict[str, Format] | None]:
    """Split a GetSearchResults answer: a bare list, or {"meetings", "formats"}."""
    if isinstance(data, dict) and "meetings" in data:
        formats = parse_formats(data["formats"], url) if "formats" in data else None
        data = data["meetings"]
    else:
        formats = None
    if not isinstance(data, list):
        raise FeedSchemaError(f"{url}: GetSearchResults did not return a list of meetings.")
    _check_shape(data, url)
    return data, formats


def _check_shape(rows: list[Any], url: str) -> None:
    dicts = [row for row in rows if isinstance(row, dict)]
    if rows and not dicts:
        raise FeedSchemaError(f"{url}: the meetings are not JSON objects.")
    for key in REQUIRED_KEYS:
        if dicts and not any(key in row for row in dicts):
            raise FeedSchemaError(f"{url}: no meeting has the field {key!r}; the format changed.")


def parse_server(
    server: ServerData, *, fellowship: str = "NA"
) -> Iterator[MeetingRecord | Rejected]:
    """Yield the meetings of one server (or of an aggregator answer) as records."""
    for row in server.meetings:
        if not isinstance(row, dict):
            yield Rejected(f"{server.url} (row)", "not a JSON object")
            continue
        origin = server_url(str(row.get("root_server_uri") or server.url))
        try:
            record = parse_meeting(row, origin, server.formats, server.bodies, fellowship)
        except ValueError as exc:
            yield Rejected(f"{origin} meeting {value(row, 'id_bigint') or '?'}", str(exc))
            continue
        yield with_time_zone(without_venue_formats(record))


def parse_meeting(
    row: Mapping[str, Any],
    origin: str,
    formats: Mapping[str, Format],
    bodies: Mapping[str, Mapping[str, Any]],
    fellowship: str,
) -> MeetingRecord:
    """Turn one meeting object into a record.

    Raises:
        ValueError: the row lacks what the aggregator itself requires, or is unpublished.
    """
    missing = [key for key in REQUIRED_KEYS if key not in row]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    if value(row, "published") == "0":
        raise ValueError("not published on its server")
    meeting_id = value(row, "id_bigint")
    if not meeting_id.isdigit():
        raise ValueError(f"id_bigint {meeting_id!r} is not a number")
    weekday, start = _schedule(value(row, "weekday_tinyint"), value(row, "start_time"))
    used = [formats.get(key) for key in value(row, "formats").split(",") if key.strip()]
    known = [f for f in used if f is not None]
    codes = _codes(known)
    lat, lon = _coordinates(row)
    link = value(row, "virtual_meeting_link")
    street = value(row, "location_street")
    attendance = _attendance(value(row, "venue_type"), codes, bool(link), bool(street))
    return MeetingRecord(
        key=stable_key(origin, meeting_id),
        fellowship=fellowship,
        name=value(row, "meeting_name") or value(row, "location_text") or f"{fellowship} meeting",
        weekday=weekday,
        start_time=start,
        duration_minutes=_duration(value(row, "duration_time")),
        time_zone=value(row, "time_zone"),
        attendance=attendance,
        location_name=value(row, "location_text"),
        street=street,
        city=value(row, "location_municipality") or value(row, "location_city_subsection"),
        state=value(row, "location_province")[:2].upper()
        if len(value(row, "location_province")) == 2
        else "",
        postal_code=value(row, "location_postal_code_1")[:10],
        latitude=lat,
        longitude=lon,
        online_url=link if link.lower().startswith(("http://", "https://")) else "",
        online_phone=value(row, "phone_meeting_number")[:200],
        formats=tuple(sorted(set(codes) - {"ONL", "TC"})),
        formats_original=tuple(f"NA:{f.key}" for f in known),
        format_names=tuple(f.name for f in known if f.world_id not in {"VM", "HYBR", "TC"}),
        notes=_notes(row, bodies),
        source_url=origin,
    )


def _schedule(weekday: str, start: str) -> tuple[int, time]:
    if not weekday.isdigit() or not 1 <= int(weekday) <= 7:
        raise ValueError(f"weekday_tinyint {weekday!r} is not 1-7")
    match = _CLOCK.match(start)
    if not match:
        raise ValueError(f"start_time {start!r} is not HH:MM:SS")
    hour, minute = int(match.group(1)), int(match.group(2))
    day = int(weekday) - 1
    if hour == 24 and minute == 0:  # midnight at the end of the day: the next day's 00:00
        return (day + 1) % 7, time(0, 0)
    if hour > 23 or minute > 59:
        raise ValueError(f"start_time {start!r} is not a time of day")
    return day, time(hour, minute)


def _duration(text: str) -> int | None:
    match = _CLOCK.match(text)
    if not match:
        return None
    minutes = int(match.group(1)) * 60 + int(match.group(2))
    return minutes or None  # 00:00:00 means "the server's default"


def _coordinates(row: Mapping[str, Any]) -> tuple[float | None, float | None]:
    try:
        lat, lon = float(value(row, "latitude")), float(value(row, "longitude"))
    except ValueError:
        return None, None
    if lat == 0 or lon == 0 or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None  # "0" is how BMLT says "no location"
    return round(lat, 7), round(lon, 7)


def _codes(formats: Iterable[Format]) -> list[str]:
    """Return Meeting Guide codes for the formats: by world_id, and ES/LANG as Spanish."""
    names = type_names()
    codes = []
    for item in formats:
        if item.world_id == "HYBR":
            codes.append("HYBR")
        elif item.world_id in WORLD_ID_TYPES:
            codes.append(WORLD_ID_TYPES[item.world_id])
        elif item.world_id == "LANG" and item.key.upper() == "ES":
            codes.append("S")
        elif item.world_id == "LANG" and item.key.upper() in names:
            codes.append(item.key.upper())
    return codes


def _attendance(venue: str, codes: list[str], has_link: bool, has_street: bool) -> str:
    """Read venue_type; without it, the VM/HY/TC formats (as TSML reads ONL and TC)."""
    closed = "TC" in codes
    if venue in VENUES:
        found = VENUES[venue]
        if closed:
            return "online" if found != "in_person" else "inactive"
        return found
    if "HYBR" in codes:
        return "online" if closed else "hybrid"
    if "ONL" in codes or (has_link and not has_street):
        return "online"
    return "inactive" if closed else "in_person"


def _notes(row: Mapping[str, Any], bodies: Mapping[str, Mapping[str, Any]]) -> str:
    parts = [
        value(row, "location_info"),
        value(row, "comments"),
        value(row, "virtual_meeting_additional_info"),
    ]
    body = bodies.get(value(row, "service_body_bigint"))
    if body and clean(body.get("helpline")):
        parts.append(f"NA helpline ({clean(body.get('name'))}): {clean(body.get('helpline'))}")
    return "\n".join(p for p in parts if p)


# -- fetching ------------------------------------------------------------------------------


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
    return list(dict.fromkeys(server_url(u) for u in found))


def live_items(
    client: HttpClient,
    roots: list[str],
    fetched: set[str],
    notify: Callable[[str], None] = log.info,
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
            except FetchError as exc:
                notify(f"{root}: skipped, {exc}")
                yield Rejected(root, f"server not refreshed: {exc}")
                continue
            fetched.add(server.url)
            notify(f"{root}: {len(server.meetings)} meetings")
            yield from parse_server(server)

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
            origin = server_url(str(row.get("root_server_uri") or aggregator))
            by_server.setdefault(origin, {}).update(parse_formats([row], aggregator))
    return merge_duplicates(_per_server(meetings, by_server, formats or {}, aggregator))


def _per_server(
    meetings: list[Any],
    by_server: dict[str, dict[str, Format]],
    fallback: dict[str, Format],
    aggregator: str,
) -> Iterator[MeetingRecord | Rejected]:
    for row in meetings:
        origin = (
            server_url(str(row.get("root_server_uri") or aggregator))
            if isinstance(row, dict)
            else aggregator
        )
        yield from parse_server(ServerData(origin, by_server.get(origin, fallback), [row]))
