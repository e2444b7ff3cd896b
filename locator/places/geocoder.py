"""Turn what a person typed into a Place: offline first, an online geocoder only if configured."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlmodel import Session

from locator.config import Settings
from locator.errors import (
    N_,
    BadQueryError,
    GeocoderUnavailableError,
    Message,
    UnknownPlaceError,
)
from locator.models import GeocodeCache, utcnow
from locator.places.gazetteer import Gazetteer, Place
from locator.places.geo import Point
from locator.places.states import find_state
from locator.text import clean, fold

MAX_QUERY_LENGTH = 200
_ZIP = re.compile(r"^(\d{5})(?:-\d{4})?$")
_COORDINATES = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_TRAILING_STATE = re.compile(r"^(.+?)[\s,]+([A-Za-z]{2})$")

# Names people type for big cities (folded text -> "City, ST" in the gazetteer). "LA" is also
# Louisiana's code: the city wins, and the page offers the state as the other meaning.
ALIASES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "nyc": ("New York", "NY", ()),
    "new york city": ("New York", "NY", ()),
    "manhattan": ("New York", "NY", ("Manhattan, KS",)),
    "la": ("Los Angeles", "CA", ("Louisiana",)),
    "l a": ("Los Angeles", "CA", ("Louisiana",)),
    "dc": ("Washington", "DC", ()),
    "d c": ("Washington", "DC", ()),
    "washington dc": ("Washington", "DC", ()),
    "washington d c": ("Washington", "DC", ()),
    "sf": ("San Francisco", "CA", ()),
    "philly": ("Philadelphia", "PA", ()),
    "vegas": ("Las Vegas", "NV", ()),
    "nola": ("New Orleans", "LA", ()),
    "atl": ("Atlanta", "GA", ()),
    "okc": ("Oklahoma City", "OK", ()),
    "slc": ("Salt Lake City", "UT", ()),
    "kc": ("Kansas City", "MO", ("Kansas City, KS",)),
}

OnlineLookup = Callable[[str], "tuple[Point, str] | None"]


class Geocoder:
    """Locate ZIPs, "City, ST", states and coordinates offline; addresses online if enabled."""

    def __init__(
        self,
        gazetteer_factory: Callable[[], Gazetteer] = Gazetteer.from_zipcodes,
        online: OnlineLookup | None = None,
        provider: str = "offline",
    ) -> None:
        self._gazetteer_factory = gazetteer_factory
        self._gazetteer: Gazetteer | None = None
        self._lock = threading.Lock()
        self._online = online
        self.provider = provider

    @property
    def gazetteer(self) -> Gazetteer:
        """Build the gazetteer on first use, once per process."""
        if self._gazetteer is None:
            with self._lock:
                if self._gazetteer is None:
                    self._gazetteer = self._gazetteer_factory()
        return self._gazetteer

    def locate(self, text: str, *, session: Session | Callable[[], Session] | None = None) -> Place:
        """Return the place ``text`` names.

        ``session`` (or a function returning it: a request opens its session only when the
        place is not in the gazetteer) holds the online geocoder's cache.

        Raises:
            BadQueryError: the text is empty, too long or holds impossible coordinates.
            UnknownPlaceError: nothing matches; carries close suggestions when there are any.
        """
        query = clean(text)
        if not query:
            raise BadQueryError(
                N_("Enter a place: a 5-digit ZIP code or a city and state, like “Richmond, VA”."),
                field="near",
            )
        if len(query) > MAX_QUERY_LENGTH:
            raise BadQueryError(
                N_("That place is too long; enter at most %(limit)s characters."),
                field="near",
                limit=MAX_QUERY_LENGTH,
            )
        place = self._locate_offline(query)
        if place is not None:
            return place
        if self._online is not None:
            found = self._locate_online(query, session)
            if found is not None:
                return found
        raise self._unknown(query)

    def _locate_offline(self, query: str) -> Place | None:
        zip_match = _ZIP.match(query)
        if zip_match:
            place = self.gazetteer.zip(zip_match.group(1))
            if place is None:
                raise UnknownPlaceError(query)
            return place
        coordinates = _COORDINATES.match(query)
        if coordinates:
            point = Point(float(coordinates.group(1)), float(coordinates.group(2)))
            return Place(point, f"{point.lat:.4f}, {point.lon:.4f}", "coordinates")
        return self._city_or_state(query)

    def _city_or_state(self, query: str) -> Place | None:
        if not _latin(query):
            raise UnknownPlaceError(query)
        alias = ALIASES.get(fold(query))
        if alias is not None:
            name, code, others = alias
            found = find_state(code)
            place = self.gazetteer.city(name, found) if found else None
            if place is not None:
                return replace(place, others=others)
        state = find_state(query)
        if state is not None:
            return self.gazetteer.state(state)
        city_part, state_part = _split_state(query)
        if state_part is not None:
            state = find_state(state_part)
            if state is not None:
                return self.gazetteer.city(city_part, state) or self._street_in_city(
                    city_part, state_part
                )
            return None
        same_name = self.gazetteer.cities_named(query)
        if len(same_name) == 1:
            return same_name[0]
        if len(same_name) > 1:
            biggest, others = same_name[0], tuple(p.label for p in same_name[1 : MAX_OTHERS + 1])
            note = Message(
                N_("Showing %(place)s, the biggest of several places called %(name)s."),
                place=biggest.label,
                name=biggest.label.rpartition(",")[0],
            )
            return replace(biggest, note=note, others=others)
        return None

    def _street_in_city(self, city_part: str, state_part: str) -> Place | None:
        """Offline, a street address is placed at its city's centre, and the page says so."""
        if self._online is not None or "," not in city_part:
            return None
        street, _, city = city_part.rpartition(",")
        state = find_state(state_part)
        place = self.gazetteer.city(city, state) if state and street.strip() else None
        if place is None:
            return None
        note = Message(
            N_(
                "Street addresses are not looked up in this installation; "
                "distances are from the centre of %(place)s."
            ),
            place=place.label,
        )
        return Place(place.point, place.label, "city", place.state, place.time_zone, note)

    def _locate_online(
        self, query: str, session: Session | Callable[[], Session] | None
    ) -> Place | None:
        key = fold(query)
        if callable(session):
            session = session()
        if session is not None:
            cached = session.get(GeocodeCache, key)
            if cached is not None:
                return _cached_place(cached)
        assert self._online is not None
        found = self._online(query)
        if found is None:
            return None
        point, label = found
        place = Place(point, label, "address")
        if session is not None:
            session.merge(
                GeocodeCache(
                    query=key,
                    provider=self.provider,
                    latitude=point.lat,
                    longitude=point.lon,
                    label=label[:500],
                    created_at=utcnow(),
                )
            )
            session.commit()
        return place

    def _unknown(self, query: str) -> UnknownPlaceError:
        city_part, state_part = _split_state(query)
        state = find_state(state_part) if state_part else None
        if state is not None:
            return UnknownPlaceError(query, self.gazetteer.suggest(city_part, state))
        return UnknownPlaceError(query, self.gazetteer.suggest(query))


MAX_OTHERS = 4  # other places of the same name offered as links


def _latin(query: str) -> bool:
    """Say whether the text is in the Latin alphabet, accents allowed: US places are.

    Folding drops what it cannot spell in ASCII, so "Zürich 東京 🙂" would be read as
    "zurich" and found in Kansas; such text is no US place name.
    """
    if query.isascii():
        return True
    decomposed = unicodedata.normalize("NFKD", query)
    return all(
        ch.isascii() or unicodedata.combining(ch) or unicodedata.category(ch).startswith("P")
        for ch in decomposed
    )


def _split_state(query: str) -> tuple[str, str | None]:
    """Split "City, State" or "City ST" into its parts."""
    if "," in query:
        head, _, tail = query.rpartition(",")
        return head.strip(), tail.strip()
    match = _TRAILING_STATE.match(query)
    if match:
        return match.group(1).strip(), match.group(2)
    return query, None


def _cached_place(row: GeocodeCache) -> Place:
    return Place(Point(row.latitude, row.longitude), row.label, "address", state=row.state)


def online_lookup(settings: Settings) -> OnlineLookup | None:
    """Build the rate-limited geopy lookup the configuration asks for, or None when offline."""
    provider = settings.geocoder
    if provider == "offline":
        return None
    from geopy.extra.rate_limiter import RateLimiter
    from geopy.geocoders import ArcGIS, Nominatim

    options: dict[str, Any] = {
        "user_agent": settings.geocoder_user_agent,
        "timeout": settings.geocoder_timeout_seconds,
        "scheme": settings.geocoder_scheme,
    }
    if settings.geocoder_domain:
        options["domain"] = settings.geocoder_domain
    if provider == "nominatim":
        service: Any = Nominatim(**options)
        extra: dict[str, Any] = {"country_codes": "us"}
    else:
        service = ArcGIS(**options)
        extra = {}
    geocode = RateLimiter(
        service.geocode,
        min_delay_seconds=settings.geocoder_min_delay_seconds,
        max_retries=0,  # a person is waiting: fail fast and say so
        swallow_exceptions=False,
    )
    return lambda query: _ask(geocode, query, extra)


def _ask(
    geocode: Callable[..., Any], query: str, extra: dict[str, Any]
) -> tuple[Point, str] | None:
    from geopy.exc import GeopyError

    try:
        location = geocode(query, exactly_one=True, **extra)
    except GeopyError as exc:
        raise GeocoderUnavailableError(
            N_(
                "The address lookup service is not answering right now. "
                "Enter a ZIP code or a city and state instead."
            )
        ) from exc
    if location is None:
        return None
    try:
        return Point(float(location.latitude), float(location.longitude)), str(location.address)
    except BadQueryError:
        return None
