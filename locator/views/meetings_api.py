"""The meetings JSON API (v1): the same filters as the meeting pages, with provenance."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from flask_babel import gettext

from locator.meetings.search import MeetingHit, MeetingPage, find_meetings, meeting_hit
from locator.meetings.times import shown
from locator.models import Meeting
from locator.notices import API_DISCLAIMER
from locator.web.helpers import args_with
from locator.web.hosts import external_url
from locator.web.law_context import law_status_json
from locator.web.meeting_params import parse_meeting_search, parse_viewer_zone
from locator.web.session import current_settings, get_session

bp = Blueprint("meetings_api", __name__, url_prefix="/api/v1")


@bp.get("/meetings")
def meetings() -> Response:
    """Search meetings: mode=near|online, near or lat/lon, radius, unit, fellowship, day,
    time, attendance, format, order=distance|soon, tz, page, per_page."""
    found = parse_meeting_search(
        request.args, current_settings(), current_app.extensions["geocoder"], get_session()
    )
    page = find_meetings(session=get_session(), query=found.query)
    return jsonify(_page_json(page, found.viewer_zone, found.place))


@bp.get("/meetings/<id:meeting_id>")
def meeting(meeting_id: int) -> Response:
    """Return one meeting with its next start and provenance."""
    row = get_session().get(Meeting, meeting_id)
    if row is None:
        abort(404, gettext("There is no meeting with id %(id)s.", id=meeting_id))
    viewer = parse_viewer_zone(request.args, None)
    body = _hit_json(meeting_hit(row, datetime.now(UTC)), viewer, None)
    body["active"] = row.active
    body["first_seen"] = row.first_seen.isoformat()
    return jsonify({"meeting": body, "disclaimer": gettext(API_DISCLAIMER)})


def _page_json(page: MeetingPage, viewer: str, place: Any) -> dict[str, Any]:
    query = page.query
    args: dict[str, Any] = args_with(request.args)
    links: dict[str, str | None] = {"next": None, "prev": None}
    if page.has_next:
        links["next"] = url_for("meetings_api.meetings", **{**args, "page": query.page + 1})
    if query.page > 1:
        links["prev"] = url_for("meetings_api.meetings", **{**args, "page": query.page - 1})
    origin = None
    if place is not None:
        origin = {"label": place.label, "lat": place.point.lat, "lon": place.point.lon}
    return {
        "mode": query.mode,
        "origin": origin,
        "radius": query.radius,
        "unit": query.unit,
        "order": query.order,
        "viewer_time_zone": viewer or None,
        "law": list(query.law_statuses),
        "weekdays": list(query.weekdays),
        "total": page.total,
        # Meetings matching the search that give no time zone: not placed in time (list
        # them with time_zone=unknown); with a chosen day they follow the others.
        "without_time_zone": page.unzoned,
        "page": query.page,
        "per_page": query.per_page,
        "pages": page.pages,
        "links": links,
        "results": [_hit_json(hit, viewer, query.unit) for hit in page.hits],
        "disclaimer": gettext(API_DISCLAIMER),
    }


def _hit_json(hit: MeetingHit, viewer: str, unit: str | None) -> dict[str, Any]:
    m = hit.meeting
    next_start = None
    if hit.next_start is not None:
        next_start = {
            "meeting_local": hit.next_start.isoformat(),
            "utc": hit.next_start.astimezone(UTC).isoformat(),
            "viewer": shown(hit.next_start, viewer).iso if viewer else None,
            "minutes_until": hit.minutes_until,
        }
    return {
        "id": m.id,
        "name": m.name,
        "fellowship": m.fellowship,
        "weekday": m.weekday,
        "start_time": m.start_time.strftime("%H:%M") if m.start_time else None,
        "duration_minutes": m.duration_minutes,
        "time_zone": m.time_zone or None,
        "time_zone_inferred": m.time_zone_inferred,
        "time_zone_note": None
        if m.time_zone
        else gettext("time zone not given — check with the group"),
        "schedule_note": m.schedule_note or None,
        "next_start": next_start,
        "attendance": m.attendance,
        "distance": None if hit.distance is None else round(hit.distance, 2),
        "unit": unit,
        "location": {
            "name": m.location_name,
            "street": m.street,
            "city": m.city,
            "state": m.state,
            "postal_code": m.postal_code,
            "latitude": m.latitude,
            "longitude": m.longitude,
            "approximate": m.location_approximate,
        },
        "state_law": law_status_json(m.state, m.city) if m.state else None,
        "online": {"url": m.online_url or None, "phone": m.online_phone or None},
        "formats": m.formats,
        "format_names": m.format_names,
        "formats_original": m.formats_original,
        "notes": m.notes or None,
        "source": {
            "name": m.source,
            "url": m.source_url or None,
            "note": m.source_note,
            "last_seen": m.last_seen.isoformat(),
        },
        "url": external_url("meetings.detail", meeting_id=m.id),
        "ics": external_url("meetings.ics", meeting_id=m.id),
    }
