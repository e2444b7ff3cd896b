"""One meeting once: the rule that tells two listings are the same meeting, and its index.

The rule (``same_meeting``): the same fellowship, weekday and start time; the same place
(venues within about 100 m, placeholder coordinates excepted) or the same join link without
its query; and similar names. Within a run the later listing takes the first one's key
(``merge_duplicates``); across sources the store writer points the later row at the stored
one (``MeetingWriter``, ``duplicate_of``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import time
from typing import TYPE_CHECKING, Any

from locator.places.geo import haversine_km_raw
from locator.text import fold
from scrapers.base import Rejected
from scrapers.meeting_zones import is_placeholder

if TYPE_CHECKING:
    from scrapers.meetings import MeetingRecord


SAME_PLACE_KM = 0.1  # "the same place": venues within about 100 m
SIMILAR_NAME = 0.5  # share of name words two listings of one meeting have in common


def join_url(url: str) -> str:
    """Return a join link without its query (passwords, tracking) and case: the room."""
    text = url.strip().lower().split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text.removeprefix("https://").removeprefix("http://").removeprefix("www.")


def similar_names(first: str, second: str) -> bool:
    """Tell whether two meeting names are alike: one holds the other, or most words agree."""
    a, b = fold(first), fold(second)
    if not a or not b or a in b or b in a:
        return bool(a and b)
    words_a, words_b = set(a.split()), set(b.split())
    return len(words_a & words_b) >= SIMILAR_NAME * min(len(words_a), len(words_b))


def _same_place(first: MeetingRecord | Any, second: MeetingRecord | Any) -> bool:
    lat1, lon1, lat2, lon2 = first.latitude, first.longitude, second.latitude, second.longitude
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return False
    if is_placeholder(lat1, lon1):
        return False
    return haversine_km_raw(lat1, lon1, lat2, lon2) <= SAME_PLACE_KM


def same_meeting(first: MeetingRecord | Any, second: MeetingRecord | Any) -> bool:
    """Tell whether two listings (records or stored rows) are one meeting.

    The rule: the same fellowship, weekday and start time; the same place (venues within
    about 100 m, placeholder coordinates excepted) or the same join link (without its
    query); and similar names (``similar_names``).
    """
    if (first.fellowship, first.weekday, first.start_time) != (
        second.fellowship,
        second.weekday,
        second.start_time,
    ) or first.start_time is None:
        return False
    link = bool(first.online_url) and join_url(first.online_url) == join_url(second.online_url)
    return (link or _same_place(first, second)) and similar_names(first.name, second.name)


def schedule_key(record: MeetingRecord | Any) -> tuple[str, int | None, time | None]:
    """Return what two listings of one meeting always share: fellowship, weekday, start."""
    return (record.fellowship, record.weekday, record.start_time)


CELL_DEGREES = 0.01  # index cells of about 1 km: a venue's same-place twin is in a neighbour


class MeetingIndex:
    """Listings by schedule, then by map cell and join link: the candidates for same_meeting.

    A national import holds thousands of meetings at 19:00 on a Monday; comparing each with
    only the listings in its own and the eight neighbouring cells (or with the same join
    link) keeps merging linear.
    """

    def __init__(self) -> None:
        self._cells: dict[tuple[Any, ...], list[Any]] = {}
        self._links: dict[tuple[Any, ...], list[Any]] = {}

    def add(self, listing: Any) -> None:
        """Index a record or stored row."""
        schedule = schedule_key(listing)
        if listing.online_url:
            self._links.setdefault((*schedule, join_url(listing.online_url)), []).append(listing)
        cell = _cell(listing)
        if cell is not None:
            self._cells.setdefault((*schedule, *cell), []).append(listing)

    def find(self, record: MeetingRecord) -> Any | None:
        """Return the first indexed listing that is the same meeting as ``record``, or None."""
        schedule = schedule_key(record)
        candidates: list[Any] = []
        if record.online_url:
            candidates += self._links.get((*schedule, join_url(record.online_url)), [])
        cell = _cell(record)
        if cell is not None:
            for north in (-1, 0, 1):
                for east in (-1, 0, 1):
                    key = (*schedule, cell[0] + north, cell[1] + east)
                    candidates += self._cells.get(key, [])
        # A record is never its own twin; stored rows (no key attribute) are other sources'.
        return next(
            (
                c
                for c in candidates
                if getattr(c, "key", None) != record.key and same_meeting(c, record)
            ),
            None,
        )


def _cell(listing: Any) -> tuple[int, int] | None:
    if listing.latitude is None or listing.longitude is None:
        return None
    return (int(listing.latitude // CELL_DEGREES), int(listing.longitude // CELL_DEGREES))


def merge_duplicates(
    items: Iterable[MeetingRecord | Rejected],
) -> Iterator[MeetingRecord | Rejected]:
    """Give a later listing of an already seen meeting (``same_meeting``) the first's key.

    The pipeline then merges the two like any rows sharing a key (counted as merged), and
    the first listing records the later one's key in ``also_listed``.
    """
    seen = MeetingIndex()
    for item in items:
        if isinstance(item, Rejected):
            yield item
            continue
        first = seen.find(item)
        if first is None:
            seen.add(item)
            yield item
        else:
            yield replace(item, key=first.key, also_listed=(item.key,))
