"""SMART Recovery meetings: the public meeting pages listed in its sitemap, or an operator's CSV.

Publisher: SMART Recovery USA, https://meetings.smartrecovery.org/ (server-rendered pages).
There is no public API. Each page ``/meetings/<id>/`` carries an AddEvent calendar block
(``.addeventatc`` with ``start``, ``end``, ``timezone`` (IANA), ``title``, ``description``
and ``recurring`` (an RRULE)), an address card with a Google Maps directions link and/or an
online join link (a Pathcheck gateway). ``sitemap.xml`` lists every page.
Terms: unclear; the crawl is therefore off until ``smart_enabled = true``, honours
robots.txt, waits at least 2 s between requests and sends an identifying User-Agent. An
operator with a data agreement can load a CSV instead (``locator import smart --file``).
Cadence: weekly (about 1,250 pages at 2 s each). Format notes: shared/sources/meetings.md §3.

Pages without a calendar block (non-weekly schedules such as "first and third Monday") are
kept with their page title and a schedule note, never dropped silently.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, time
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

from locator.meetings.times import ICS_DAYS, WEEKDAYS
from locator.places.states import find_state
from locator.text import clean
from scrapers.base import FeedSchemaError, FetchError, Rejected
from scrapers.http import HttpClient
from scrapers.meeting_merge import merge_duplicates
from scrapers.meeting_zones import with_time_zone
from scrapers.meetings import MeetingRecord, stable_key, with_place_point

SOURCE = "smart"
SOURCE_NOTE = "SMART Recovery meeting pages (meetings.smartrecovery.org)."
CALENDAR_FIELDS = ("start", "end", "timezone", "title", "description", "recurring")
_ADDRESS_TAIL = re.compile(r"^(?P<city>[^,]+),\s*(?P<state>[A-Za-z]{2})\s*(?P<zip>\d{5})?")
_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>")
_MEETING_PATH = re.compile(r"/meetings/(\d+)/?$")
CSV_COLUMNS = ("meeting_id", "name", "weekday", "start_time", "time_zone")


class _PageParser(HTMLParser):
    """Collect the calendar spans, the <title>, the map link and the join link of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.calendar: dict[str, str] = {}
        self.title = ""
        self.map_link = ""
        self.join_link = ""
        self._in_calendar = 0
        self._field: str | None = None
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        classes = (found.get("class") or "").split()
        if self._in_calendar:
            self._in_calendar += tag not in {"br", "img", "input", "meta"}
            field = next((c for c in classes if c in CALENDAR_FIELDS), None)
            if tag == "span" and field:
                self._field = field
        elif "addeventatc" in classes:
            self._in_calendar = 1
        if tag == "title":
            self._in_title = True
        href = found.get("href") or ""
        if tag == "a" and ("google.com/maps" in href or "maps.google." in href):
            self.map_link = self.map_link or href
        if tag == "a" and "pathcheck.net/j/" in href:
            self.join_link = self.join_link or href

    def handle_endtag(self, tag: str) -> None:
        if self._in_calendar:
            self._field = None
            self._in_calendar -= 1
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._field:
            self.calendar[self._field] = self.calendar.get(self._field, "") + data
        if self._in_title:
            self.title += data


def meeting_id(url: str) -> str:
    """Return the numeric id of a meeting page URL, or ''."""
    match = _MEETING_PATH.search(urlsplit(url).path)
    return match.group(1) if match else ""


def parse_page(html: str, url: str) -> MeetingRecord | Rejected:
    """Turn one meeting page into a record (pure: HTML in, record out)."""
    page = _PageParser()
    page.feed(html)
    page.close()
    number = meeting_id(url)
    if not number:
        return Rejected(url, "not a /meetings/<id>/ page")
    calendar = {k: clean(v) for k, v in page.calendar.items()}
    address = _map_address(page.map_link)
    attendance = _attendance(
        bool(address.get("street") or address.get("city")), bool(page.join_link)
    )
    if attendance is None:
        return Rejected(url, "neither an address nor an online link on the page")
    base: dict[str, Any] = {
        "key": stable_key("smart", number),
        "fellowship": "SMART",
        "source_url": url,
        "attendance": attendance,
        "online_url": page.join_link,
        "location_approximate": True,  # no coordinates on the page: placed at its ZIP/city
        **address,
    }
    if not calendar.get("start"):
        name = clean(page.title).removeprefix("SMART Recovery USA - ") or f"SMART meeting #{number}"
        note = "Not a weekly meeting: see the SMART Recovery page for its dates."
        return with_time_zone(
            with_place_point(
                MeetingRecord(**base, name=name, weekday=None, start_time=None, schedule_note=note)
            )
        )
    try:
        return with_time_zone(with_place_point(_weekly(base, calendar, number)))
    except ValueError as exc:
        return Rejected(url, str(exc))


def _weekly(base: dict[str, Any], calendar: Mapping[str, str], number: str) -> MeetingRecord:
    try:
        start = datetime.strptime(calendar["start"], "%Y-%m-%d %H:%M")
        end = datetime.strptime(calendar.get("end") or calendar["start"], "%Y-%m-%d %H:%M")
    except ValueError:
        raise ValueError(
            f"calendar start {calendar.get('start')!r} is not YYYY-MM-DD HH:MM"
        ) from None
    rule = dict(
        part.split("=", 1)
        for part in calendar.get("recurring", "").upper().removeprefix("RRULE:").split(";")
        if "=" in part
    )
    days = [ICS_DAYS.index(d[-2:]) for d in rule.get("BYDAY", "").split(",") if d[-2:] in ICS_DAYS]
    weekday = days[0] if days else (start.weekday() + 1) % 7
    notes = []
    interval = rule.get("INTERVAL", "1")
    if interval.isascii() and interval.isdigit() and int(interval) > 1:
        notes.append(f"Every {interval} weeks.")
    if len(days) > 1:
        notes.append("Also on " + ", ".join(WEEKDAYS[d] for d in days[1:]) + ".")
    title = calendar.get("title", "")
    name = title.split(" - ", 1)[1] if " - " in title else title or f"SMART meeting #{number}"
    minutes = int((end - start).total_seconds() // 60)
    return MeetingRecord(
        **base,
        name=name[:300],
        weekday=weekday,
        start_time=time(start.hour, start.minute),
        duration_minutes=minutes if minutes > 0 else None,
        time_zone=calendar.get("timezone", ""),
        notes=calendar.get("description", ""),
        schedule_note=" ".join(notes),
        format_names=tuple(
            label.strip()
            for label in calendar.get("description", "").split(",")
            if 0 < len(label.strip()) < 60
        )[:8],
    )


def _attendance(has_address: bool, has_link: bool) -> str | None:
    if has_address and has_link:
        return "hybrid"
    if has_link:
        return "online"
    return "in_person" if has_address else None


def _map_address(link: str) -> dict[str, str]:
    """Split the destination of a Google Maps link: 'street, city, ST 12345'."""
    if not link:
        return {}
    query = parse_qs(urlsplit(link).query)
    text = clean((query.get("destination") or query.get("daddr") or query.get("q") or [""])[0])
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if parts and parts[-1] in {"USA", "US", "United States"}:
        parts = parts[:-1]
    for index in range(len(parts) - 1, -1, -1):
        tail = ", ".join(parts[index:])
        match = _ADDRESS_TAIL.match(tail)
        if match and find_state(match.group("state")):
            return {
                "street": ", ".join(parts[:index])[:300],
                "city": match.group("city").strip()[:120],
                "state": match.group("state").upper(),
                "postal_code": match.group("zip") or "",
            }
    return {"street": text[:300]} if text else {}


def sitemap_urls(xml: str) -> list[str]:
    """Return the meeting-page URLs a sitemap lists."""
    return [url for url in _LOC.findall(xml) if meeting_id(url)]


def live_items(
    client: HttpClient, sitemap: str, fetched: set[str], notify: Callable[[str], None]
) -> Iterator[MeetingRecord | Rejected]:
    """Crawl the sitemap's meeting pages politely; a page that fails is a rejected row.

    Pages fetched go into ``fetched``, so a full refresh leaves the meetings of pages that
    failed this time as they were.
    """
    urls = sitemap_urls(client.get_text(sitemap))
    if not urls:
        raise FeedSchemaError(f"{sitemap} lists no /meetings/<id>/ pages; the site changed.")

    def each() -> Iterator[MeetingRecord | Rejected]:
        for index, url in enumerate(urls, 1):
            try:
                html = client.get_text(url)
            except FetchError as exc:
                yield Rejected(url, str(exc))
                continue
            fetched.add(url)
            if index % 50 == 0:
                notify(f"{index} of {len(urls)} pages")
            yield parse_page(html, url)

    return merge_duplicates(each())


def parse_csv(lines: Iterable[str], name: str) -> Iterator[MeetingRecord | Rejected]:
    """Read an operator's CSV (columns in README): one weekly meeting per row.

    Raises:
        FeedSchemaError: a required column is missing.
    """
    reader = csv.DictReader(lines)
    header = [clean(h).lower() for h in reader.fieldnames or ()]
    missing = [c for c in CSV_COLUMNS if c not in header]
    if missing:
        raise FeedSchemaError(f"{name} lacks the column(s) {', '.join(missing)}.")
    for number, raw in enumerate(reader, 2):
        row = {clean(k).lower(): clean(v) for k, v in raw.items() if k}
        try:
            yield with_time_zone(with_place_point(_csv_record(row)))
        except ValueError as exc:
            yield Rejected(f"{name} line {number}", str(exc))


def _csv_record(row: Mapping[str, str]) -> MeetingRecord:
    number = row["meeting_id"]
    if not number:
        raise ValueError("meeting_id is empty")
    minutes = row.get("duration_minutes", "")
    day = row["weekday"]
    weekday = (
        int(day)
        if day.isascii() and day.isdigit() and int(day) <= 6
        else next(
            (
                i
                for i, w in enumerate(WEEKDAYS)
                if w.lower().startswith(day.lower()[:3]) and len(day) >= 3
            ),
            None,
        )
    )
    if weekday is None:
        raise ValueError(f"weekday {day!r} is not 0-6 or a day name")
    try:
        start = time.fromisoformat(row["start_time"])
    except ValueError:
        raise ValueError(f"start_time {row['start_time']!r} is not HH:MM") from None
    state = find_state(row.get("state", ""))
    has_place = bool(row.get("street") or row.get("city"))
    attendance = _attendance(has_place, bool(row.get("online_url")))
    if attendance is None:
        raise ValueError("neither an address nor an online_url")
    return MeetingRecord(
        key=stable_key("smart", number),
        fellowship="SMART",
        name=row["name"] or f"SMART meeting #{number}",
        weekday=weekday,
        start_time=start.replace(second=0, microsecond=0, tzinfo=None),
        source_url=row.get("url", ""),
        duration_minutes=int(minutes) if minutes.isascii() and minutes.isdigit() else None,
        time_zone=row["time_zone"],
        attendance=attendance,
        street=row.get("street", "")[:300],
        city=row.get("city", "")[:120],
        state=state.code if state else "",
        postal_code=row.get("postal_code", "")[:10],
        location_approximate=True,
        online_url=row.get("online_url", "")
        if row.get("online_url", "").startswith("https://")
        else "",
        notes=row.get("notes", ""),
    )
