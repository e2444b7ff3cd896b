"""AA intergroups, Recovery Dharma, Refuge Recovery...: Meeting Guide JSON feeds (mostly TSML).

Publisher: each intergroup or fellowship site, most through the WordPress plugin "12 Step
Meeting List" (``/wp-admin/admin-ajax.php?action=meetings``). Spec: code4recovery/spec
(MIT). Feeds: the ``meeting_guide_feeds`` setting, one "FELLOWSHIP URL" per entry.
Terms: feeds state no licence; we keep venue and schedule facts only, never contact names,
and show the feed as the source. A restricted feed answers 401: recorded, not retried.
Cadence: daily. Format notes: shared/sources/meetings.md §2.

``day`` is 0-6 from Sunday or a list of days (one record per day); ``end_time`` defaults to
an hour after ``time``; ``timezone`` is missing in older exports (inferred offline and
marked); attendance is the plugin's ``attendance_option`` or, when absent, computed the way
the plugin does from the ONL and TC types, the conference link or phone and ``approximate``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import time
from typing import Any

from locator.meetings.types import SPEC_PROGRAMS, type_names
from locator.places.states import find_state
from locator.text import clean
from scrapers.base import FeedSchemaError, FetchError, Rejected
from scrapers.http import HttpClient
from scrapers.meeting_merge import merge_duplicates
from scrapers.meeting_zones import fill_group_zones, with_time_zone
from scrapers.meetings import ATTENDANCE, MeetingRecord, stable_key, without_venue_formats

SOURCE = "meeting-guide"
SOURCE_NOTE = "Meeting Guide feeds of intergroups and fellowships (12 Step Meeting List)."
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::\d{2})?$", re.ASCII)
_CITY_STATE_ZIP = re.compile(r"^(?P<state>[A-Z]{2})(?:\s+(?P<zip>\d{5})(?:-\d{4})?)?$")
_COUNTRIES = {"USA", "US", "United States"}


def parse_feed_setting(entry: str) -> tuple[str, str]:
    """Read one ``meeting_guide_feeds`` entry: "FELLOWSHIP URL".

    Raises:
        FeedSchemaError: the entry is not a fellowship code followed by an http(s) URL.
    """
    parts = clean(entry).split(" ")
    if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
        raise FeedSchemaError(
            f"meeting_guide_feeds entry {entry!r} must be a fellowship code and a URL, "
            'like "AA https://example.org/wp-admin/admin-ajax.php?action=meetings".'
        )
    return parts[0].upper(), parts[1]


def parse_feed(data: Any, feed_url: str, fellowship: str) -> Iterator[MeetingRecord | Rejected]:
    """Yield one record per meeting and weekday of a feed.

    Raises:
        FeedSchemaError: the feed is not a list of meetings with names and slugs.
    """
    if isinstance(data, dict) and "error" in data:
        raise FetchError(f"{feed_url}: the feed answered {clean(data['error'])!r}")
    if not isinstance(data, list):
        raise FeedSchemaError(f"{feed_url}: a Meeting Guide feed is a JSON list of meetings.")
    rows = [row for row in data if isinstance(row, dict)]
    if data and not rows:
        raise FeedSchemaError(f"{feed_url}: the meetings are not JSON objects.")
    if rows and not any("name" in row and ("slug" in row or "id" in row) for row in rows):
        raise FeedSchemaError(f"{feed_url}: no meeting has a name and a slug; the format changed.")
    found: list[tuple[MeetingRecord, str]] = []
    for row in data:
        if not isinstance(row, dict):
            yield Rejected(f"{feed_url} (row)", "not a JSON object")
            continue
        for item in _meeting(row, feed_url, fellowship):
            if isinstance(item, Rejected):
                yield item
            else:
                found.append((item, ""))
    yield from fill_group_zones(found)  # a feed's meetings mostly share the feed's zone


def _meeting(
    row: Mapping[str, Any], feed_url: str, fellowship: str
) -> Iterator[MeetingRecord | Rejected]:
    slug = clean(row.get("slug")) or clean(row.get("id"))
    label = f"{feed_url} meeting {slug or '?'}"
    try:
        days = _days(row.get("day"))
        start = _clock(clean(row.get("time")), "time")
        finish = _clock(clean(row.get("end_time")), "end_time") if row.get("end_time") else None
        if not clean(row.get("name")) or not slug:
            raise ValueError("missing name or slug")
    except ValueError as exc:
        yield Rejected(label, str(exc))
        return
    base = _record(row, feed_url, fellowship, slug, start, finish)
    for day in days:
        record = MeetingRecord(
            **{**base, "key": stable_key(feed_url, slug, str(day)), "weekday": day}
        )
        try:
            yield with_time_zone(without_venue_formats(record))
        except ValueError as exc:  # a zone that is not one: this row only
            yield Rejected(label, str(exc))
            return


def _days(raw: Any) -> list[int]:
    values = raw if isinstance(raw, list) else [raw]
    days = []
    for item in values:
        text = clean(item)
        if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 6:
            raise ValueError(f"day {raw!r} is not 0-6 (by-appointment meetings are not listed)")
        days.append(int(text))
    if not days:
        raise ValueError("no day")
    return sorted(set(days))


def _clock(text: str, name: str) -> time:
    match = _CLOCK.match(text)
    if not match or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{name} {text!r} is not HH:MM")
    return time(int(match.group(1)), int(match.group(2)))


def _duration(start: time, finish: time | None) -> int | None:
    if finish is None:
        return None
    minutes = (finish.hour * 60 + finish.minute - start.hour * 60 - start.minute) % (24 * 60)
    return minutes or None


def _record(
    row: Mapping[str, Any],
    feed_url: str,
    fellowship: str,
    slug: str,
    start: time,
    finish: time | None,
) -> dict[str, Any]:
    types = [clean(t) for t in row.get("types") or () if clean(t)]
    url = clean(row.get("conference_url"))
    phone = clean(row.get("conference_phone"))
    address = _address(row)
    lat, lon = _coordinates(row)
    names = type_names()
    spec = fellowship in SPEC_PROGRAMS
    return {
        "fellowship": fellowship,
        "name": clean(row.get("name"))[:300],
        "start_time": start,
        "source_url": feed_url,
        "duration_minutes": _duration(start, finish),
        "time_zone": clean(row.get("timezone")),
        "attendance": attendance(row, types, bool(url or phone)),
        "location_name": clean(row.get("location"))[:300],
        **address,
        "latitude": lat,
        "longitude": lon,
        "location_approximate": clean(row.get("approximate")).lower() == "yes",
        "online_url": url if url.lower().startswith(("http://", "https://")) else "",
        "online_phone": phone[:200],
        "formats": tuple(sorted({t for t in types if spec and t in names} - {"ONL", "TC"})),
        "formats_original": tuple(f"{fellowship}:{t}" for t in types),
        "format_names": tuple(
            names.get(t, t) if spec else t for t in types if t not in {"ONL", "TC"}
        ),
        "notes": "\n".join(
            clean(row.get(k))
            for k in ("notes", "location_notes", "conference_url_notes", "conference_phone_notes")
            if clean(row.get(k))
        ),
        "key": "",
        "weekday": None,
    }


def attendance(row: Mapping[str, Any], types: list[str], online: bool) -> str:
    """Return the plugin's attendance_option, or compute it as the plugin does."""
    given = clean(row.get("attendance_option"))
    if given in ATTENDANCE:
        if "TC" in types and given in ("in_person", "hybrid"):  # the venue is closed
            return "online" if given == "hybrid" else "inactive"
        return given
    approximate = clean(row.get("approximate")).lower() == "yes"
    has_online = "ONL" in types or online
    if "TC" in types:
        return "online" if has_online else "inactive"
    if has_online:
        return "online" if approximate else "hybrid"
    return "inactive" if approximate else "in_person"


def _coordinates(row: Mapping[str, Any]) -> tuple[float | None, float | None]:
    try:
        lat, lon = float(row["latitude"]), float(row["longitude"])
    except (KeyError, TypeError, ValueError):
        return None, None
    if (lat == 0 and lon == 0) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    return round(lat, 7), round(lon, 7)  # TSML sends float noise in the 20th decimal


def _address(row: Mapping[str, Any]) -> dict[str, str]:
    """Read address/city/state/postal_code, or split a US formatted_address."""
    if clean(row.get("address")) or clean(row.get("city")):
        state = find_state(clean(row.get("state")))
        return {
            "street": clean(row.get("address"))[:300],
            "city": clean(row.get("city"))[:120],
            "state": state.code if state else "",
            "postal_code": clean(row.get("postal_code"))[:10],
        }
    parts = [p.strip() for p in clean(row.get("formatted_address")).split(",") if p.strip()]
    if parts and parts[-1] in _COUNTRIES:
        parts = parts[:-1]
    found = {"street": "", "city": "", "state": "", "postal_code": ""}
    if parts:
        match = _CITY_STATE_ZIP.match(parts[-1])
        if match and find_state(match.group("state")):
            found["state"] = match.group("state")
            found["postal_code"] = match.group("zip") or ""
            parts = parts[:-1]
    if parts:
        found["city"] = parts[-1][:120]
        found["street"] = ", ".join(parts[:-1])[:300]
    return found


def live_items(
    client: HttpClient,
    feeds: list[tuple[str, str]],
    fetched: set[str],
    notify: Callable[[str], None],
) -> Iterator[MeetingRecord | Rejected]:
    """Fetch every feed and yield its records, merged across feeds.

    A feed that cannot be fetched (timeout, 401 restricted, an HTML page) is a rejected row
    and its stored meetings stay; a feed whose shape changed fails the run.
    """

    def each() -> Iterator[MeetingRecord | Rejected]:
        for fellowship, url in feeds:
            try:
                data = client.get_json(url)
                records = list(parse_feed(data, url, fellowship))
            except FetchError as exc:
                notify(f"{url}: skipped, {exc}")
                yield Rejected(url, f"feed not refreshed: {exc}")
                continue
            fetched.add(url)
            notify(f"{url}: {len(records)} meeting days")
            yield from records

    return merge_duplicates(each())
