"""The query engine: origin + radius + filters -> facilities sorted by true distance.

How a search runs:
1. ``facility_conditions`` turns the filters into SQL conditions on the alias ``t`` (the one
   place filters are built; the service bits and facility types read the covering index, the
   law filter ix_state_law_status);
2. ``locator/places/spatial.nearest_page`` reads the page nearest first without reading the
   whole circle: PostGIS's KNN on a GiST index where migration 0014 found the extension, else
   growing discs over the latitude-band index ix_spatial_facility (SQLite, plain PostgreSQL),
   stopping at the first disc that holds the page and one row more. Candidates rank by the
   dot product of unit vectors (the cosine of the great-circle angle), then by id, so ties
   (sites sharing a ZIP centre) come in the same order every time;
3. the page's distances are haversine great-circle distances; badges come from the bits.

Totals are exact up to ``TOTAL_CAP``: a search that did not read its whole circle counts the
matches with a read of at most ``TOTAL_CAP + 1`` rows of the band index, and above that says
"more than TOTAL_CAP" (``SearchPage.total_exact`` is False, ``total`` the cap) instead of
reading every match of a 100-mile circle in a city. ``count_matches`` (exports) stays exact.
A search without a radius (a whole state, or anywhere) reads every match and stays exact, and
so does the total of a page past the end.

Measured (bench/search.py): building SQLAlchemy expressions per request cost more than the
queries themselves, so the statements are prepared once per shape and only numbers are bound.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from locator.db import connection_of
from locator.errors import N_, BadQueryError
from locator.facilities.taxonomy import (
    FACILITY_TYPES,
    categories_for_bits,
    category,
    category_mask,
    split_codes,
)
from locator.places.geo import Point, Unit, from_km, haversine_km_raw, to_km
from locator.places.law_filter import parse_statuses, status_condition
from locator.places.spatial import (
    NearestPage,
    RankedQuery,
    count_within,
    nearest_page,
    ranked_page,
)

MAX_PAGE = 10_000
# Above this many matches a radius search says "more than TOTAL_CAP" rather than count them all:
# four pages of 25 are counted exactly. At 1,000 the count was a third of a search API answer's
# database time and more than its page's own read (bench/load.sh, bench/search.py); past a
# hundred, a person narrows the search and a coordinator exports (exact, count_matches).
TOTAL_CAP = 100


@dataclass(frozen=True, slots=True)
class FacilityQuery:
    """What a person asked for. ``radius`` None with ``state`` set means the whole state;
    with neither, anywhere (the nearest matches beyond an empty radius: :func:`nearest_beyond`).

    ``categories`` holds service keys: keys of one group in ``ANY_OF_GROUPS`` (type of care,
    medication) match a facility offering any of them; every other key must match.
    """

    origin: Point
    radius: float | None
    unit: Unit = "mi"
    categories: tuple[str, ...] = ()
    facility_types: tuple[str, ...] = ()
    state: str | None = None
    page: int = 1
    per_page: int = 25
    law_statuses: tuple[str, ...] = ()  # the state's kratom-law status (locator/laws/status.py)
    # Only facilities a coordinator confirmed by phone on or after this day (issue 20).
    confirmed_since: date | None = None

    @property
    def whole_state(self) -> bool:
        """Whether this lists a whole state from its centre: its listings carry no distance."""
        return self.radius is None and self.state is not None

    def __post_init__(self) -> None:
        parse_statuses(self.law_statuses)
        if self.radius is not None and not (math.isfinite(self.radius) and self.radius > 0):
            raise BadQueryError(N_("The distance must be a number above zero."), field="radius")
        if not 1 <= self.page <= MAX_PAGE:
            raise BadQueryError(
                N_("The page must be between 1 and %(limit)s."), field="page", limit=MAX_PAGE
            )
        if self.per_page < 1:
            raise BadQueryError(N_("The page size must be at least 1."), field="per_page")
        for key in self.categories:
            if category(key) is None:
                raise BadQueryError(
                    N_("“%(value)s” is not a service we can filter on."),
                    field="service",
                    value=key,
                )
        for code in self.facility_types:
            if code not in FACILITY_TYPES:
                raise BadQueryError(
                    N_("“%(value)s” is not a facility type."), field="type", value=code
                )


@dataclass(frozen=True, slots=True)
class ListingExtras:
    """What the search API shows beside a listing, read in the page's own statement.

    One statement each (the law statuses, the city and county rules, the latest phone calls)
    were three of a search's five round trips (bench/load.sh).
    """

    law_status: str | None  # the state's kratom-law status (state_law), None without a row
    local_rules: bool  # whether the state has any city or county rule (local_restriction)
    last_call: Any  # the latest phone call as the database writes it (admin/confirmations)


def listing_columns(dialect: str) -> tuple[str, ...]:
    """Return the SQL columns of :class:`ListingExtras`, on the alias ``t``.

    The latest call is the one ``admin.confirmations.latest_for`` keeps: by call date, then
    entry (on the index ix_phone_confirmation_facility), as a JSON array of its fields.
    """
    call = (
        "json_array(c.called_on, c.outcome, c.wait_days, json(c.confirmed))"
        if dialect == "sqlite"
        else "json_build_array(c.called_on, c.outcome, c.wait_days, c.confirmed)"
    )
    return (
        "(SELECT l.status FROM state_law l WHERE l.state = t.state) AS law_status",
        "EXISTS (SELECT 1 FROM local_restriction r WHERE r.state = t.state) AS local_rules",
        f"(SELECT {call} FROM phone_confirmation c "  # noqa: S608 - constants only
        "WHERE c.facility_id = t.id ORDER BY c.called_on DESC, c.id DESC LIMIT 1) AS last_call",
    )


@dataclass(slots=True)
class FacilityHit:
    """One facility in a result list, with its distance from the origin (None for a whole
    state's listings, whose origin is the state's centre, and for a site without a place)."""

    id: int
    name: str
    name2: str
    street1: str
    street2: str
    city: str
    state: str
    zip: str
    phone: str
    intake_phone: str
    hotline_phone: str
    website: str
    latitude: float | None
    longitude: float | None
    location_approximate: bool
    facility_types: tuple[str, ...]
    services_known: bool
    service_bits_lo: int
    service_bits_hi: int
    source: str
    source_note: str
    last_seen: date
    distance: float | None
    codes: tuple[str, ...] = ()  # its service codes, sorted: only when asked for

    def category_labels(self, group: str | None = None) -> list[str]:
        """Return the labels of the user-facing categories this facility matches."""
        return categories_for_bits(self.service_bits_lo, self.service_bits_hi, group)


@dataclass(frozen=True, slots=True)
class SearchPage:
    """A page of results and what it is a page of.

    ``total`` is exact when ``total_exact``; otherwise more than ``total`` facilities match
    (see TOTAL_CAP) and ``has_more`` says whether a page follows this one.
    """

    query: FacilityQuery
    hits: list[FacilityHit]
    total: int
    total_exact: bool = True
    has_more: bool | None = None
    # Each hit's ListingExtras by facility id, when the search was asked ``with_listing``.
    listings: dict[int, ListingExtras] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        """The number of pages (when the total is not exact: at least this many)."""
        pages = max(1, math.ceil(self.total / self.query.per_page))
        if self.has_more:
            pages = max(pages, self.query.page + 1)
        return pages

    @property
    def has_next(self) -> bool:
        if self.has_more is not None:
            return self.has_more
        return self.query.page < self.pages


# The columns a page row carries, in FacilityHit's order (its fields but the computed ones).
HIT_FIELDS = tuple(f.name for f in fields(FacilityHit) if f.name not in ("distance", "codes"))


def find_nearby(
    *,
    session: Session | Connection,
    query: FacilityQuery,
    with_codes: bool = False,
    with_listing: bool = False,
) -> SearchPage:
    """Return one page of active facilities matching ``query``, nearest first.

    Category badges come from the service bits; ``with_codes`` also gives each hit its
    service codes, sorted, from its row (the API lists them; the result page does not), and
    ``with_listing`` each one's :class:`ListingExtras`, in the same statement. ``session``
    may be a bare connection (a view that only reads: ``locator.web.session.get_reader``).
    """
    connection = connection_of(session)
    shape = _Extras(with_codes, with_listing)
    if query.radius is None:  # a whole state, or anywhere: read it all, the total is exact
        rows = _page_rows(connection, query, shape)
        total = int(rows[0][0]) if rows else 0
        if not rows and query.page > 1:
            total = count_matches(session=session, query=query)
        # A whole state ranks from its centre outward, but that centre is not where the person
        # is: its listings carry no distance (the page would say "87 mi away" from nowhere).
        origin = None if query.whole_state else query.origin
        hits = [_hit(row[1:], origin, query.unit, shape) for row in rows]
        listings = _listings(hits, [row[1:] for row in rows], shape)
        return SearchPage(query=query, hits=hits, total=total, listings=listings)
    found = _nearest(connection, query, shape)
    hits = [_hit(row, query.origin, query.unit, shape) for row in found.rows]
    if not hits and query.page > 1:  # past the end: say exactly how many there were
        return SearchPage(query, hits, count_matches(session=session, query=query))
    total, exact = _total(connection, query, found)
    listings = _listings(hits, found.rows, shape)
    return SearchPage(query, hits, total, exact, found.more, listings)


@dataclass(frozen=True, slots=True)
class _Extras:
    """Which columns a page row carries after HIT_FIELDS."""

    codes: bool = False
    listing: bool = False

    def columns(self, dialect: str) -> tuple[str, ...]:
        listing = listing_columns(dialect) if self.listing else ()
        # The row's own copy of its service codes (migration 0016): aggregating ~70
        # facility_service rows per result was a third of an API answer on the national data.
        return (("t.service_codes AS codes",) if self.codes else ()) + listing


def _nearest(connection: Connection, query: FacilityQuery, shape: _Extras) -> NearestPage:
    """Return the page's rows nearest first: (dot, *HIT_FIELDS, *extras)."""
    conditions, filters = facility_conditions(query)
    extra = shape.columns(connection.dialect.name)
    ranked = RankedQuery("facility", conditions, HIT_FIELDS, extra)
    return nearest_page(
        connection,
        ranked,
        query.origin,
        _radius_km(query),
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
        params=filters,
        count_cap=TOTAL_CAP + 1,
    )


def _total(connection: Connection, query: FacilityQuery, found: NearestPage) -> tuple[int, bool]:
    """Return (total, exact): exact up to TOTAL_CAP, else (TOTAL_CAP, False)."""
    if found.total is not None:
        return found.total, True
    if found.seen > TOTAL_CAP:
        return TOTAL_CAP, False
    counted = found.counted  # the page's own statement counted (PostGIS), else count now
    if counted is None:
        conditions, filters = facility_conditions(query)
        counted = count_within(
            connection,
            RankedQuery("facility", conditions),
            query.origin,
            _radius_km(query),
            cap=TOTAL_CAP + 1,
            params=filters,
        )
    return (counted, True) if counted <= TOTAL_CAP else (TOTAL_CAP, False)


def _radius_km(query: FacilityQuery) -> float:
    assert query.radius is not None  # callers handle the whole-state search
    return to_km(query.radius, query.unit)


NEAREST_BEYOND = 5  # how many matches beyond an empty radius a search lists


# Rings (km) the nearest-beyond search widens through before it ranks every match: the k
# nearest inside a ring that holds k matches are the k nearest anywhere. Ranking every
# detox row of the national data for each empty search was 6x a normal search at p95; the
# rings read a few latitude bands instead (bench/pages.py --national).
BEYOND_RINGS_KM = (160.0, 640.0, 2560.0)


def nearest_beyond(
    *,
    session: Session | Connection,
    query: FacilityQuery,
    limit: int = NEAREST_BEYOND,
    with_codes: bool = False,
) -> list[FacilityHit]:
    """Return the nearest matches of ``query`` with its radius (or state) lifted, nearest first.

    For a search that found nothing: the same filters, anywhere in the loaded data, through
    the same entry point (:func:`find_nearby`), in widening rings and then unbounded. An
    empty list means none exists anywhere. Beyond a whole state they rank from its centre and,
    like the state's own listings, carry no distance.
    """
    start = 0.0 if query.radius is None else to_km(query.radius, query.unit)
    for ring in BEYOND_RINGS_KM:
        if ring <= start:
            continue
        wider = replace(query, radius=from_km(ring, query.unit), state=None, page=1, per_page=limit)
        hits = find_nearby(session=session, query=wider, with_codes=with_codes).hits
        if len(hits) >= limit:
            break
    else:
        anywhere = replace(query, radius=None, state=None, page=1, per_page=limit)
        hits = find_nearby(session=session, query=anywhere, with_codes=with_codes).hits
    if query.whole_state:  # from the state's centre, as its own listings: no distance
        return [replace(hit, distance=None) for hit in hits]
    return hits


def facility_conditions(query: FacilityQuery) -> tuple[tuple[str, ...], dict[str, Any]]:
    """Return the SQL conditions (on alias ``t``) and parameters of the query's filters."""
    conditions = ["t.active"]
    params: dict[str, Any] = {}
    conditions.extend(_category_conditions(query.categories))
    if query.facility_types:  # codes checked against FACILITY_TYPES in FacilityQuery
        types = [f"t.facility_types LIKE '%,{code},%'" for code in query.facility_types]
        conditions.append("(" + " OR ".join(types) + ")")
    if query.state:
        conditions.append("t.state = :state")
        params["state"] = query.state
    if query.law_statuses:  # checked against LawStatus in FacilityQuery
        conditions.append(status_condition(parse_statuses(query.law_statuses)))
    if query.confirmed_since is not None:
        conditions.append(CONFIRMED_CONDITION)
        params["confirmed_since"] = query.confirmed_since
    return tuple(conditions), params


# "Confirmed by phone in the last N days" (issue 20): a semi-join on the calls' own index.
CONFIRMED_CONDITION = (
    "t.id IN (SELECT c.facility_id FROM phone_confirmation c WHERE c.called_on >= :confirmed_since)"
)


def _driver_params(dialect: str, params: dict[str, Any]) -> dict[str, Any]:
    """SQLite keeps dates as ISO text (and sqlite3's date adapter is deprecated)."""
    if dialect != "sqlite":
        return params
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}


ANY_OF_GROUPS = frozenset({"care", "medication"})  # several keys of one: any of them


def _category_conditions(keys: tuple[str, ...]) -> list[str]:
    """Return one condition per asked key, or one per group in ``ANY_OF_GROUPS``.

    Keys are checked in FacilityQuery, so the masks are constants of the taxonomy.
    """
    any_of: dict[str, list[str]] = {}
    conditions: list[str] = []
    for key in keys:
        column, mask = category_mask(key)
        condition = f"(t.{column} & {mask}) != 0"
        found = category(key)
        if found is not None and found.group in ANY_OF_GROUPS:
            any_of.setdefault(found.group, []).append(condition)
        else:
            conditions.append(condition)
    for alternatives in any_of.values():
        conditions.append(
            alternatives[0] if len(alternatives) == 1 else f"({' OR '.join(alternatives)})"
        )
    return conditions


def _page_rows(connection: Connection, query: FacilityQuery, shape: _Extras) -> list[Any]:
    """Return the page's rows: (total, dot, *HIT_FIELDS, *extras), nearest first."""
    conditions, filters = facility_conditions(query)
    extra = shape.columns(connection.dialect.name)
    return ranked_page(
        connection,
        RankedQuery("facility", conditions, HIT_FIELDS, extra),
        query.origin,
        None if query.radius is None else to_km(query.radius, query.unit),
        limit=query.per_page,
        offset=(query.page - 1) * query.per_page,
        params=_driver_params(connection.dialect.name, filters),
    )


def count_matches(*, session: Session | Connection, query: FacilityQuery) -> int:
    """Count every facility the query matches (used past the last page)."""
    rows = _page_rows(connection_of(session), replace(query, page=1, per_page=1), _Extras())
    return int(rows[0][0]) if rows else 0


# Where the converted columns sit in a page row (dot, *HIT_FIELDS[, codes]).
_AT = {name: n + 1 for n, name in enumerate(HIT_FIELDS)}
_LAT, _LON, _TYPES = _AT["latitude"], _AT["longitude"], _AT["facility_types"]
_APPROXIMATE, _KNOWN, _SEEN = _AT["location_approximate"], _AT["services_known"], _AT["last_seen"]
_END = 1 + len(HIT_FIELDS)


def _hit(row: Any, origin: Point | None, unit: Unit, shape: _Extras) -> FacilityHit:
    """Turn one page row (dot, *HIT_FIELDS, *extras) into a FacilityHit, by position.

    Its distance is from ``origin`` (None without one, or without coordinates).

    A page builds 25 (and the API's nearest-outside search more): a dict by name per row was
    a tenth of a search API answer (bench/load.sh).
    """
    values = list(row[1:_END])
    lat, lon = row[_LAT], row[_LON]
    distance = None
    if origin is not None and lat is not None and lon is not None:
        distance = from_km(haversine_km_raw(origin.lat, origin.lon, lat, lon), unit)
    values[_TYPES - 1] = tuple(filter(None, row[_TYPES].split(",")))  # no empty codes
    values[_APPROXIMATE - 1] = bool(row[_APPROXIMATE])
    values[_KNOWN - 1] = bool(row[_KNOWN])
    if isinstance(row[_SEEN], str):  # SQLite gives dates back as text to raw SQL
        values[_SEEN - 1] = date.fromisoformat(row[_SEEN])
    values += (distance, split_codes(row[_END]) if shape.codes else ())
    return FacilityHit(*values)


def _listings(hits: list[FacilityHit], rows: Any, shape: _Extras) -> dict[int, ListingExtras]:
    """Return each hit's ListingExtras from its row's last columns (none unless asked)."""
    if not shape.listing:
        return {}
    return {
        hit.id: ListingExtras(row[-3], bool(row[-2]), row[-1])
        for hit, row in zip(hits, rows, strict=True)
    }
