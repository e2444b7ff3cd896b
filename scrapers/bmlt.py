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
mean no location, and 34.2359,-118.5637 (NA World Services) is a placeholder; ``time_zone``
may be empty (inferred offline, else from the meeting's service body or server, and marked);
``venue_type`` may be empty (read the VM/HY/TC formats instead); legacy values carry
``Label#@-@#Value``; format keys are per server, so meaning comes from ``world_id``, and an
answer without format definitions is read through the server's stored formats (FormatBook);
``root_server_uri`` may be malformed ("http:"), so keys use the URL we asked.
This module parses (pure); scrapers/bmlt_fetch.py fetches.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import time
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from locator.meetings.types import WORLD_ID_TYPES, type_names
from locator.paths import DATA_DIR
from locator.text import clean
from scrapers.base import FeedSchemaError, Rejected
from scrapers.meeting_zones import fill_group_zones, with_time_zone
from scrapers.meetings import MeetingRecord, stable_key, without_venue_formats

SOURCE = "bmlt"
SOURCE_NOTE = "Narcotics Anonymous meeting lists (BMLT root servers)."
REQUIRED_KEYS = ("id_bigint", "meeting_name", "weekday_tinyint", "start_time")
FORMAT_KEYS = ("key_string", "name_string")
LEGACY_SEPARATOR = "#@-@#"
VENUES = {"1": "in_person", "2": "online", "3": "hybrid"}
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$", re.ASCII)
# Formats that say how a meeting is attended, by world_id and by their stock keys (a server
# that edited a stock format may have left its world_id empty).
VENUE_FORMATS = {"VM": "ONL", "TC": "TC", "HYBR": "HYBR", "HY": "HYBR"}


@dataclass(frozen=True, slots=True)
class Format:
    """One format of one server: its display key, name and shared meaning (world_id)."""

    key: str
    name: str
    world_id: str
    kind: str


@dataclass(slots=True)
class ServerData:
    """What one root server returned: its formats, service bodies and meetings.

    ``formats_given`` is False for an answer without format definitions: ``formats`` are
    then those stored for the server earlier, else the stock formats (``default_formats``).
    """

    url: str
    formats: dict[str, Format]
    meetings: list[Any]
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    formats_given: bool = True


def server_url(url: str) -> str:
    """Normalise a root-server URL: no trailing slash, lower-case scheme and host.

    Raises:
        ValueError: the text is not an http(s) URL with a host (e.g. BMLT's "http:").
    """
    text = clean(url).rstrip("/")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{text[:80]!r} is not a server URL (http(s)://host/...)")
    path = parts.path.rstrip("/")
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{path}"


@cache
def default_formats() -> dict[str, Format]:
    """Return the stock English formats a new BMLT server is seeded with, by key."""
    path = DATA_DIR / "meetings" / "bmlt_default_formats.json"
    rows = json.loads(path.read_text(encoding="utf-8"))["formats"]
    return {r["key"]: Format(r["key"], r["name"], r["world_id"].upper(), r["kind"]) for r in rows}


@dataclass(slots=True)
class FormatBook:
    """Each server's formats: those stored before this run, and those this run's answers gave.

    An answer with format definitions is the server's own word (kept, to be stored); one
    without them (a bare GetSearchResults file, an empty GetFormats) is read through the
    formats stored for that server, then the stock ones, so it never erases formats.
    """

    stored: dict[str, dict[str, Format]] = field(default_factory=dict)
    given: dict[str, dict[str, Format]] = field(default_factory=dict)

    def read(self, server: ServerData) -> ServerData:
        """Return the server with the formats to read its meetings with."""
        if server.formats:
            self.given[server.url] = server.formats
            return server
        known = {**default_formats(), **self.stored.get(server.url, {})}
        return replace(server, formats=known, formats_given=False)


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
    """Yield the meetings of one server as records, keyed by the server's own URL.

    The URL is the one we asked (``--server`` or the configured list), never a meeting's
    ``root_server_uri``, which some servers send malformed ("http:"). A meeting without a
    usable zone takes the zone its service body's other meetings share, else its server's
    (scrapers/meeting_zones.py, fill_group_zones).
    """
    found: list[tuple[MeetingRecord, str]] = []
    for row in server.meetings:
        if not isinstance(row, dict):
            yield Rejected(f"{server.url} (row)", "not a JSON object")
            continue
        try:
            record = parse_meeting(row, server.url, server.formats, server.bodies, fellowship)
            record = with_time_zone(without_venue_formats(record))
        except ValueError as exc:
            yield Rejected(f"{server.url} meeting {value(row, 'id_bigint') or '?'}", str(exc))
            continue
        found.append((record, value(row, "service_body_bigint")))
    yield from fill_group_zones(found)


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
    if not (meeting_id.isascii() and meeting_id.isdigit()):
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
        format_names=tuple(f.name for f in known if not _is_venue(f)),
        notes=_notes(row, bodies),
        source_url=origin,
    )


def _schedule(weekday: str, start: str) -> tuple[int, time]:
    if not (weekday.isascii() and weekday.isdigit()) or not 1 <= int(weekday) <= 7:
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
        venue = VENUE_FORMATS.get(item.world_id) or VENUE_FORMATS.get(item.key.upper())
        if venue is not None and (item.world_id in VENUE_FORMATS or not item.world_id):
            codes.append(venue)
        elif item.world_id in WORLD_ID_TYPES:
            codes.append(WORLD_ID_TYPES[item.world_id])
        elif item.world_id == "LANG" and item.key.upper() == "ES":
            codes.append("S")
        elif item.world_id == "LANG" and item.key.upper() in names:
            codes.append(item.key.upper())
    return codes


def _is_venue(item: Format) -> bool:
    return item.world_id in VENUE_FORMATS or (
        not item.world_id and item.key.upper() in VENUE_FORMATS
    )


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


def root_of(row: Any, fallback: str) -> str:
    """Return the normalised ``root_server_uri`` of an aggregator row, '' if malformed."""
    if not isinstance(row, dict):
        return ""
    try:
        return server_url(str(row.get("root_server_uri") or fallback))
    except ValueError:
        return ""
