"""Read a meeting search from request parameters, with a plain sentence for every bad value."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from locator.config import Settings
from locator.errors import N_, BadQueryError
from locator.meetings.search import MeetingQuery
from locator.meetings.times import WEEKDAYS, zone
from locator.places.gazetteer import Place
from locator.places.geocoder import Geocoder
from locator.places.law_filter import parse_statuses
from locator.places.states import find_state
from locator.web.params import int_param, list_param, parse_origin, parse_radius, parse_unit


@dataclass(frozen=True, slots=True)
class MeetingRequest:
    """A validated meeting search: from where (None = online), what, and the viewer's zone."""

    place: Place | None
    query: MeetingQuery
    viewer_zone: str


def parse_weekdays(args: MultiDict[str, str]) -> tuple[int, ...]:
    """Read weekdays given as 0-6 (Sunday = 0) or as day names ("tue", "Tuesday")."""
    days: list[int] = []
    for raw in list_param(args, "day"):
        text = raw.strip().lower()
        # isdigit() is also true of "²" and "①", which int() refuses: ASCII digits only.
        if text.isascii() and text.isdigit() and int(text) <= 6:
            days.append(int(text))
            continue
        found = [
            i for i, name in enumerate(WEEKDAYS) if len(text) >= 3 and name.lower().startswith(text)
        ]
        if not found:
            raise BadQueryError(
                N_(
                    "“%(value)s” is not a weekday: use a name like Tuesday, "
                    "or a number from 0 (Sunday) to 6."
                ),
                field="day",
                value=raw[:20],
            )
        days.append(found[0])
    return tuple(dict.fromkeys(days))


def parse_viewer_zone(args: Mapping[str, str], place: Place | None) -> str:
    """Return the viewer's IANA zone: ``tz`` if valid, else the searched place's zone."""
    asked = (args.get("tz") or "").strip()
    if asked:
        if zone(asked) is None:  # unknown, a folder of the tz database, or over-long
            raise BadQueryError(
                N_("“%(value)s” is not a time zone; use a name like America/Chicago."),
                field="tz",
                value=asked[:40],
            )
        return asked
    return place.time_zone if place is not None else ""


def parse_zone_filter(args: Mapping[str, str]) -> bool:
    """Read ``time_zone=unknown``: only the meetings whose source gives no time zone."""
    asked = (args.get("time_zone") or "").strip().lower()
    if asked and asked != "unknown":
        raise BadQueryError(
            N_(
                "Use time_zone=unknown to list the meetings that give no time zone; "
                "to see times in your zone, use tz (for example tz=America/Chicago)."
            ),
            field="time_zone",
        )
    return asked == "unknown"


US_NAMES = frozenset({"us", "usa", "u.s.", "u.s.a.", "united states", "united states of america"})


def _meeting_origin(args: Mapping[str, str], geocoder: Geocoder, session: Any) -> Place:
    """Locate the place; a place named with another country gets a plain answer.

    The gazetteer holds US places only, so "Berlin, Germany" would otherwise be offered US
    Berlins. Coordinates (lat, lon) work anywhere.
    """
    try:
        return parse_origin(args, geocoder, session)
    except BadQueryError as exc:
        near = (args.get("near") or "").strip()
        last = near.rsplit(",", 1)[-1].strip() if "," in near else ""
        if exc.field == "near" and last and not _us_part(last):
            raise BadQueryError(
                N_(
                    "Place search covers the United States only, and “%(value)s” is not a "
                    "US place. For meetings there, search by coordinates (lat and lon), "
                    "choose online meetings, or use the fellowship's own meeting finder."
                ),
                field="near",
                value=near[:60],
            ) from None
        raise


def _us_part(text: str) -> bool:
    """Tell whether the last part of a place names a US state or the United States."""
    folded = text.strip().lower()
    return folded in US_NAMES or find_state(text) is not None or any(c.isdigit() for c in text)


def parse_meeting_search(
    args: MultiDict[str, str],
    settings: Settings,
    geocoder: Geocoder,
    session: Any,
    *,
    now: datetime | None = None,
) -> MeetingRequest:
    """Validate every parameter of a meeting search.

    ``mode=online`` (or no place) lists online meetings from anywhere; otherwise meetings
    held in person (in person or hybrid) near ``near`` or ``lat``/``lon``.

    Raises:
        BadQueryError: with a sentence saying what to enter instead.
    """
    mode = (args.get("mode") or "").strip().lower() or (
        "near" if (args.get("near") or args.get("lat")) else "online"
    )
    if mode not in ("near", "online"):
        raise BadQueryError(N_("Choose mode near (a place) or online."), field="mode")
    unit = parse_unit(args, settings)
    radius = parse_radius(args, settings, unit)
    place = _meeting_origin(args, geocoder, session) if mode == "near" else None
    order = (args.get("order") or ("soon" if mode == "online" else "distance")).strip().lower()
    if order not in ("distance", "soon"):
        raise BadQueryError(N_("Order by distance or soon (starting soon)."), field="order")
    if order == "distance" and mode == "online":
        order = "soon"  # online meetings have no distance
    per_page = int_param(args, "per_page", default=settings.page_size, what=N_("page size"))
    if not 1 <= per_page <= settings.max_page_size:
        raise BadQueryError(
            N_("The page size must be between 1 and %(limit)s."),
            field="per_page",
            limit=settings.max_page_size,
        )
    # A state typed as the place lists its every meeting, not those near its centre.
    whole_state = place is not None and place.kind == "state"
    query = MeetingQuery(
        origin=place.point if place else None,
        radius=radius if place and not whole_state else None,
        state=place.state if place and whole_state else None,
        unit=unit,
        fellowships=tuple(code.upper() for code in list_param(args, "fellowship")),
        weekdays=parse_weekdays(args),
        times_of_day=tuple(list_param(args, "time")),
        attendance=tuple(list_param(args, "attendance")),
        formats=tuple(list_param(args, "format")),
        order="soon" if order == "soon" else "distance",
        now=now or datetime.now(UTC),
        page=int_param(args, "page", default=1, what=N_("page number")),
        per_page=per_page,
        law_statuses=tuple(s.value for s in parse_statuses(list_param(args, "law"))),
        zone_unknown=parse_zone_filter(args),
    )
    return MeetingRequest(place, query, parse_viewer_zone(args, place))
