"""Read search parameters from a request, with a plain sentence for every bad value."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from werkzeug.datastructures import MultiDict

from locator.config import Settings
from locator.errors import N_, BadQueryError, Term
from locator.facilities.search import FacilityQuery
from locator.facilities.taxonomy import FACILITY_TYPES, categories_by_key
from locator.places.gazetteer import Place
from locator.places.geo import Point, Unit
from locator.places.geocoder import Geocoder
from locator.places.law_filter import parse_statuses

MAX_NUMBER_TEXT = 32
MAX_CONFIRMED_DAYS = 3650


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A validated search: where from and what to find."""

    place: Place
    query: FacilityQuery


def list_param(args: MultiDict[str, str], name: str) -> list[str]:
    """Read a repeatable parameter that may also hold comma-separated values."""
    values: list[str] = []
    for raw in args.getlist(name):
        values.extend(part.strip() for part in raw.split(",") if part.strip())
    return list(dict.fromkeys(values))


def number_param(
    args: Mapping[str, str], name: str, *, default: float | None, what: str, example: str
) -> float | None:
    """Read a finite number, or raise a BadQueryError naming the parameter."""
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    try:
        if len(raw) > MAX_NUMBER_TEXT:
            raise ValueError(raw)
        value = float(raw)
    except ValueError:
        raise BadQueryError(
            N_("The %(what)s must be a number, like %(example)s."),
            field=name,
            what=Term(what),
            example=example,
        ) from None
    if not math.isfinite(value):
        raise BadQueryError(
            N_("The %(what)s must be a number, like %(example)s."),
            field=name,
            what=Term(what),
            example=example,
        )
    return value


def int_param(args: Mapping[str, str], name: str, *, default: int, what: str) -> int:
    """Read a whole number, or raise a BadQueryError naming the parameter."""
    value = number_param(args, name, default=default, what=what, example="2")
    assert value is not None
    if value != int(value):
        raise BadQueryError(N_("The %(what)s must be a whole number."), field=name, what=Term(what))
    return int(value)


def parse_unit(args: Mapping[str, str], settings: Settings) -> Unit:
    """Read the distance unit: mi or km."""
    unit = (args.get("unit") or settings.default_unit).strip().lower()
    if unit not in ("mi", "km"):
        raise BadQueryError(N_("Choose the distance unit mi (miles) or km."), field="unit")
    return cast(Unit, unit)


def parse_radius(args: Mapping[str, str], settings: Settings, unit: Unit) -> float:
    """Read the radius and check it is above zero and at most the configured maximum."""
    radius = number_param(
        args, "radius", default=float(settings.default_radius), what=N_("distance"), example="25"
    )
    assert radius is not None
    limit = settings.max_radius
    name = Term(N_("miles")) if unit == "mi" else Term(N_("km"))
    if radius <= 0:
        raise BadQueryError(
            N_("The distance must be above zero, like 25 %(unit)s."), field="radius", unit=name
        )
    if radius > limit:
        raise BadQueryError(
            N_("The distance can be at most %(limit)s %(unit)s."),
            field="radius",
            limit=limit,
            unit=name,
        )
    return radius


def parse_origin(args: Mapping[str, str], geocoder: Geocoder, session: Any) -> Place:
    """Return the place to search from: ``near`` text, or else ``lat`` and ``lon``.

    A typed place wins over coordinates, so someone who searched from their location and
    then typed a town gets the town.
    """
    near = (args.get("near") or "").strip()
    lat = number_param(args, "lat", default=None, what=N_("latitude"), example="38.03")
    lon = number_param(args, "lon", default=None, what=N_("longitude"), example="-78.48")
    if (lat is not None or lon is not None) and not near:
        if lat is None or lon is None:
            raise BadQueryError(
                N_("Give both a latitude (lat) and a longitude (lon)."), field="lat"
            )
        point = Point(lat, lon)
        return Place(point, Term(N_("your location")), "coordinates")
    return geocoder.locate(near, session=session)


def parse_filters(args: MultiDict[str, str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the chosen service categories and facility types, each checked."""
    services = list_param(args, "service")
    known = categories_by_key()
    for key in services:
        if key not in known:
            raise BadQueryError(
                N_(
                    "“%(value)s” is not a service we can filter on. Choose one from the list, "
                    "for example detox, outpatient, residential or telehealth."
                ),
                field="service",
                value=key[:40],
            )
    types = [t.upper() for t in list_param(args, "type")]
    for code in types:
        if code not in FACILITY_TYPES:
            raise BadQueryError(
                N_("“%(value)s” is not a facility type; use one of %(choices)s."),
                field="type",
                value=code[:40],
                choices=", ".join(FACILITY_TYPES),
            )
    return tuple(services), tuple(types)


def parse_search(
    args: MultiDict[str, str], settings: Settings, geocoder: Geocoder, session: Any
) -> SearchRequest:
    """Validate every parameter of a facility search.

    Raises:
        BadQueryError: with a sentence saying what to enter instead.
    """
    unit = parse_unit(args, settings)
    radius = parse_radius(args, settings, unit)
    services, types = parse_filters(args)
    page = int_param(args, "page", default=1, what=N_("page number"))
    per_page = int_param(args, "per_page", default=settings.page_size, what=N_("page size"))
    if not 1 <= per_page <= settings.max_page_size:
        raise BadQueryError(
            N_("The page size must be between 1 and %(limit)s."),
            field="per_page",
            limit=settings.max_page_size,
        )
    laws = parse_statuses(list_param(args, "law"))
    confirmed_since = parse_confirmed(args)
    place = parse_origin(args, geocoder, session)
    whole_state = place.kind == "state"
    query = FacilityQuery(
        origin=place.point,
        radius=None if whole_state else radius,
        unit=unit,
        categories=services,
        facility_types=types,
        state=place.state if whole_state else None,
        page=page,
        per_page=per_page,
        law_statuses=tuple(s.value for s in laws),
        confirmed_since=confirmed_since,
    )
    return SearchRequest(place=place, query=query)


def parse_confirmed(args: Mapping[str, str]) -> date | None:
    """Read ``confirmed=90``: only facilities confirmed by phone in the last so many days."""
    if not (args.get("confirmed") or "").strip():
        return None
    days = int_param(args, "confirmed", default=0, what=N_("number of days"))
    if not 1 <= days <= MAX_CONFIRMED_DAYS:
        raise BadQueryError(
            N_("Confirmed within must be from 1 to %(most)s days, like 90."),
            field="confirmed",
            most=MAX_CONFIRMED_DAYS,
        )
    return datetime.now(UTC).date() - timedelta(days=days)
