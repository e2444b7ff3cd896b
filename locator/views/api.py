"""The JSON API (v1): the same searches as the pages, with distances, paging and provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import orjson
from flask import Blueprint, Response, abort, current_app, g, jsonify, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import iter_multi_items

from locator.admin.confirmations import (
    LastConfirmation,
    latest_for,
    latest_read,
    recently_confirmed_first,
)
from locator.facilities.detail import facility_codes
from locator.facilities.search import FacilityHit, ListingExtras, SearchPage, find_nearby
from locator.facilities.taxonomy import CATEGORIES, GROUPS, category_labels
from locator.meetings.coverage import coverage_json
from locator.models import Facility
from locator.notices import API_DISCLAIMER, FINDTREATMENT_URL, NO_RESULTS_ADVICE
from locator.places.gazetteer import Place
from locator.web.coverage import coverage_cache
from locator.web.helpers import args_with
from locator.web.hosts import external_url
from locator.web.i18n import localized_place, request_translations
from locator.web.law_context import law_json, law_status_json, law_statuses
from locator.web.params import parse_search
from locator.web.results import beyond_empty
from locator.web.session import current_settings, get_reader, get_session, reads_only

bp = Blueprint("api", __name__, url_prefix="/api/v1")


@bp.get("/facilities")
@reads_only
def facilities() -> Response:
    """Search facilities: near=<place> or lat/lon, radius, unit, service, type, page."""
    # The session opens only if the place needs the online geocoder's cache; the search reads
    # through the request's connection alone.
    found = parse_search(
        request.args, current_settings(), current_app.extensions["geocoder"], get_session
    )
    page = find_nearby(session=get_reader(), query=found.query, with_codes=True, with_listing=True)
    latest = latest_read(page.listings)
    g.listings = page.listings
    page = replace(page, hits=recently_confirmed_first(page.hits, latest, _today()))
    g.confirmations = latest
    body = _page_json(page, localized_place(found.place))
    body.update(_beyond_json(page))
    # orjson: the page holds only strings, numbers and lists, and is the API's busiest answer
    # (a sixth of its time went to the json module; bench/load.sh).
    return Response(orjson.dumps(body), mimetype="application/json")


def _beyond_json(page: SearchPage) -> dict[str, Any]:
    """Say where the nearest matches are when nothing matched, and what else to do."""
    beyond = beyond_empty(
        session=get_reader(),
        page=page,
        max_radius=current_settings().max_radius,
        with_codes=True,
    )
    if beyond is None:
        return {
            "nearest_outside_radius": [],
            "none_anywhere": False,
            "larger_radius": None,
            "advice": [],
            "findtreatment_url": FINDTREATMENT_URL,
        }
    unit = page.query.unit
    g.confirmations.update(
        latest_for(session=get_session(), ids=[h.id for h in beyond.nearest.hits])
    )
    return {
        "nearest_outside_radius": _hits_json(beyond.nearest.hits, unit),
        "none_anywhere": beyond.none_anywhere,
        "larger_radius": beyond.wider,
        "advice": [gettext(text) for text in NO_RESULTS_ADVICE],
        "findtreatment_url": FINDTREATMENT_URL,
    }


@bp.get("/facilities/<id:facility_id>")
def facility(facility_id: int) -> Response:
    """Return one facility with its services and provenance."""
    session = get_session()
    row = session.get(Facility, facility_id)
    if row is None:
        abort(404, gettext("There is no facility with id %(id)s.", id=facility_id))
    codes = facility_codes(session=session, facility_id=facility_id)
    g.confirmations = latest_for(session=session, ids=[facility_id])
    body = _facility_json(row, codes)
    body["unmapped_services"] = row.unmapped_services
    body["first_seen"] = row.first_seen.isoformat()
    return jsonify({"facility": body, "disclaimer": gettext(API_DISCLAIMER)})


@bp.get("/services")
def services() -> Response:
    """List the service filters the search accepts, grouped as on the search page."""
    return jsonify(
        {
            "groups": [{"key": g.key, "label": g.label} for g in GROUPS],
            "services": [
                {"key": c.key, "label": c.label, "group": c.group, "codes": sorted(c.codes)}
                for c in CATEGORIES
            ],
        }
    )


@bp.get("/coverage")
def coverage() -> Response:
    """Say what the loaded data covers: counts, states, sources and dates."""
    found = coverage_cache().get(session=get_session())
    return jsonify(
        {
            "meetings": coverage_json(session=get_session()),
            "facilities": found.facilities,
            "states": list(found.states),
            "sources": [
                {
                    "source": s.source,
                    "note": s.note,
                    "facilities": s.facilities,
                    "states": list(s.states),
                    "last_seen_oldest": s.oldest.isoformat(),
                    "last_seen_newest": s.newest.isoformat(),
                }
                for s in found.sources
            ],
        }
    )


def _page_json(page: SearchPage, place: Place) -> dict[str, Any]:
    query = page.query
    links: dict[str, str | None] = {"next": None, "prev": None}
    if page.has_next:
        links["next"] = _page_link(query.page + 1)
    if query.page > 1:
        links["prev"] = _page_link(query.page - 1)
    return {
        "origin": {
            "label": place.label,
            "kind": place.kind,
            "lat": place.point.lat,
            "lon": place.point.lon,
            "note": place.note or None,
            "others": list(place.others),
        },
        "radius": query.radius,
        "unit": query.unit,
        "state": query.state,
        "services": list(query.categories),
        "types": list(query.facility_types),
        "law": list(query.law_statuses),
        "total": page.total,
        "total_exact": page.total_exact,
        "page": query.page,
        "per_page": query.per_page,
        "pages": page.pages,
        "links": links,
        "results": _hits_json(page.hits, query.unit),
        # The request's catalogue, looked up once: Flask-Babel's gettext chose the locale
        # again, a tenth of this view's time (bench/request_profile.py).
        "disclaimer": request_translations().ugettext(API_DISCLAIMER),
    }


# What url_for does with the query arguments it does not route on (werkzeug's own encoding,
# the characters a URL's query may hold unescaped); building the route once per link with
# every argument was a twentieth of an answer (bench/load.sh).
QUERY_SAFE = "!$'()*,/:;?@"


def _page_link(number: int) -> str:
    """Return this search's URL at another page, as url_for writes it."""
    args: Mapping[str, Any] = args_with(request.args, page=number)  # page is an int
    items: list[tuple[str, Any]] = list(iter_multi_items(args))
    return f"{url_for('api.facilities')}?{urlencode(items, safe=QUERY_SAFE)}"


def _hits_json(hits: list[FacilityHit], unit: str) -> list[dict[str, Any]]:
    """Return the results as the API writes them, the per-request look-ups done once."""
    shared = _Shared.of_request()
    return [
        {
            "id": hit.id,
            "distance": None if hit.distance is None else round(hit.distance, 2),
            "unit": unit,
            **_listing_json(hit, hit.codes, shared),
        }
        for hit in hits
    ]


def _facility_json(row: Facility, codes: frozenset[str]) -> dict[str, Any]:
    shared = _Shared.of_request()
    return {"id": row.id, "active": row.active, **_listing_json(row, sorted(codes), shared)}


def facility_url(facility_id: int | None) -> str:
    """Return a facility page's URL, the route built once per request (25 per answer)."""
    return f"{_facility_url_prefix()}{facility_id}"


def _facility_url_prefix() -> str:
    prefix: str | None = g.get("facility_url_prefix")
    if prefix is None:
        prefix = external_url("facilities.detail", facility_id=1).removesuffix("1")
        g.facility_url_prefix = prefix
    return prefix


@dataclass(frozen=True, slots=True)
class _Shared:
    """What every listing of one answer reads, looked up once (not once per listing)."""

    url_prefix: str
    confirmations: dict[int, LastConfirmation]
    listings: dict[int, ListingExtras]  # what the search read beside its hits
    # Each law badge drawn, by (state, status, city where the state has local rules): the
    # listings of one state share one (the same content; nothing changes them once drawn).
    laws: dict[tuple[str, str | None, str | None], dict[str, Any] | None]

    @classmethod
    def of_request(cls) -> _Shared:
        confirmations, listings = g.get("confirmations", {}), g.get("listings", {})
        return cls(_facility_url_prefix(), confirmations, listings, {})


def _law_json(item: FacilityHit | Facility, shared: _Shared) -> dict[str, Any] | None:
    """Return a listing's kratom-law badge: from the search's own row when it read one."""
    state = item.state
    listing = shared.listings.get(item.id)  # type: ignore[arg-type]
    if listing is not None:
        status, local = listing.law_status, listing.local_rules
        key = (state, status, item.city if local else None)
        if key not in shared.laws:
            shared.laws[key] = law_json(state, status, item.city, local_rules=local)
        return shared.laws[key]
    if state not in law_statuses():  # no status: None without the badge's look-ups
        return None
    return law_status_json(state, item.city, getattr(item, "county", ""))


def _listing_json(
    item: FacilityHit | Facility, codes: Sequence[str], shared: _Shared
) -> dict[str, Any]:
    """Return the fields a search result and a facility record share (``codes`` sorted)."""
    types = item.facility_types
    state = item.state
    confirmation = shared.confirmations.get(item.id)  # type: ignore[arg-type]
    return {
        "name": item.name,
        "name2": item.name2,
        "address": {
            "street1": item.street1,
            "street2": item.street2,
            "city": item.city,
            "state": state,
            "zip": item.zip,
        },
        "phone": item.phone or None,
        "intake_phone": item.intake_phone or None,
        "hotline_phone": item.hotline_phone or None,
        "website": item.website or None,
        "latitude": item.latitude,
        "longitude": item.longitude,
        "location_approximate": item.location_approximate,
        "facility_types": list(filter(None, types.split(",") if isinstance(types, str) else types)),
        "services_known": item.services_known,
        "services": codes,
        "categories": category_labels(item.service_bits_lo, item.service_bits_hi),
        "source": {
            "name": item.source,
            "note": item.source_note,
            "last_seen": item.last_seen.isoformat(),
        },
        "url": f"{shared.url_prefix}{item.id}",
        "state_law": _law_json(item, shared),
        # The latest phone confirmation: date, outcome, services confirmed (never who called).
        "last_confirmation": None if confirmation is None else confirmation.as_json(),
    }


def _today() -> date:
    return datetime.now(UTC).date()
