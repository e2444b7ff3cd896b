"""Meeting pages: search near a place or online, one meeting's page, and its .ics file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_babel import gettext

from locator.errors import BadQueryError
from locator.meetings.coverage import fellowship_coverage, meeting_coverage
from locator.meetings.ics import CalendarMeeting, calendar
from locator.meetings.search import MeetingHit, MeetingQuery, find_meetings, meeting_hit
from locator.meetings.times import TIMES_OF_DAY, WEEKDAYS, ShownTime, clock_text, shown
from locator.meetings.types import (
    ATTENDANCE_LABELS,
    FELLOWSHIPS,
    FINDERS,
    FORMAT_FILTERS,
    fellowship_name,
)
from locator.models import Meeting
from locator.web.hosts import external_url
from locator.web.i18n import error_message, localized_place
from locator.web.meeting_params import parse_meeting_search, parse_viewer_zone
from locator.web.session import current_settings, get_session

bp = Blueprint("meetings", __name__, url_prefix="/meetings")


def template_context() -> dict[str, Any]:
    """Return the names meeting templates use."""
    return {
        "weekdays": WEEKDAYS,
        "times_of_day": TIMES_OF_DAY,
        "fellowships": FELLOWSHIPS,
        "format_filters": FORMAT_FILTERS,
        "attendance_labels": ATTENDANCE_LABELS,
        "fellowship_name": fellowship_name,
        "shown": shown_here,
        "clock_text": clock_text,
    }


def shown_here(moment: datetime, zone_name: str | None = None) -> ShownTime:
    """Show a meeting time as ``shown`` does, with the weekday in the visitor's language."""
    found = shown(moment, zone_name)
    return replace(found, weekday=str(gettext(found.weekday)))


@bp.get("/")
def search() -> tuple[str, int] | str:
    """Search meetings near a place (in person, hybrid) or online; re-show the form on errors."""
    session = get_session()
    context: dict[str, Any] = {
        **template_context(),
        "form": request.args,
        "coverage": meeting_coverage(session=session),
        "fellowship_coverage": fellowship_coverage(session=session),
        "finders": FINDERS,
        "online_soon": None,
        "days": "",
        "page": None,
        "place": None,
        "error": None,
        "field": None,
    }
    if not request.args.keys() - {"lang"}:  # choosing a language is not a search
        return render_template("meetings.html", **context)
    try:
        found = parse_meeting_search(
            request.args, current_settings(), current_app.extensions["geocoder"], session
        )
    except BadQueryError as exc:
        context.update(error=error_message(exc), field=exc.field)
        return render_template("meetings.html", **context), 400
    page = find_meetings(session=session, query=found.query)
    place = localized_place(found.place) if found.place else None
    days = ", ".join(str(gettext(WEEKDAYS[d])) for d in found.query.weekdays)
    context.update(page=page, place=place, viewer_zone=found.viewer_zone, days=days)
    if not page.hits:
        context["online_soon"] = online_meetings_soon()
    return render_template("meetings.html", **context)


def online_meetings_soon() -> int:
    """Count the online meetings starting in the next 24 hours (once a minute per app).

    Links to "online meetings starting soon" appear only when this is above zero.
    """
    now = datetime.now(UTC)
    minute = now.replace(second=0, microsecond=0)
    cached = current_app.extensions.get("online_meetings_soon")
    if cached is not None and cached[0] == minute:
        return int(cached[1])
    query = MeetingQuery(origin=None, order="soon", now=now, per_page=1)
    total = find_meetings(session=get_session(), query=query).total
    current_app.extensions["online_meetings_soon"] = (minute, total)
    return total


@bp.app_context_processor
def meeting_links() -> dict[str, Any]:
    """Let every page ask whether online meetings start soon (for its link to them)."""
    return {"online_meetings_soon": online_meetings_soon}


def _meeting_or_404(meeting_id: int) -> Meeting:
    meeting = get_session().get(Meeting, meeting_id)
    if meeting is None:
        abort(
            404, gettext("We could not find that meeting. It may have been removed from its list.")
        )
    return meeting


@bp.get("/<id:meeting_id>")
def detail(meeting_id: int) -> str:
    """Show one meeting: when (its zone and the viewer's), where, how to join, the source."""
    meeting = _meeting_or_404(meeting_id)
    viewer = parse_viewer_zone(request.args, None)
    hit = meeting_hit(meeting, datetime.now(UTC))
    return render_template(
        "meeting.html", **template_context(), hit=hit, meeting=meeting, viewer_zone=viewer
    )


@bp.get("/<id:meeting_id>.ics")
def ics(meeting_id: int) -> Response:
    """Download the meeting as a weekly calendar event in its own time zone."""
    meeting = _meeting_or_404(meeting_id)
    now = datetime.now(UTC)
    hit = meeting_hit(meeting, now)
    if hit.next_start is None:
        abort(
            404, gettext("This meeting has no weekly day, time and time zone to put in a calendar.")
        )
    body = calendar(calendar_meeting(hit), stamp=now)
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'},
    )


def calendar_meeting(hit: MeetingHit) -> CalendarMeeting:
    """Describe a meeting for the calendar file."""
    meeting = hit.meeting
    assert hit.next_start is not None
    place = ", ".join(
        p for p in (meeting.location_name, meeting.street, meeting.city, meeting.state) if p
    )
    join = meeting.online_url or meeting.online_phone
    description = "\n".join(
        p
        for p in (
            f"{fellowship_name(meeting.fellowship)} meeting.",
            f"Join: {join}" if join else "",
            meeting.schedule_note,
            f"Source: {meeting.source_note} Last seen {meeting.last_seen.isoformat()}.",
            "Check the meeting's own list before going: times change.",
        )
        if p
    )
    interval = 2 if meeting.schedule_note.startswith("Every 2 weeks") else 1
    return CalendarMeeting(
        uid=f"meeting-{meeting.id}@treatment-locator",
        name=meeting.name,
        first_start=hit.next_start,
        zone_name=meeting.time_zone,
        duration_minutes=meeting.duration_minutes,
        location=place if meeting.attendance != "online" else (meeting.online_url or "Online"),
        url=external_url("meetings.detail", meeting_id=meeting.id),
        description=description,
        interval_weeks=interval,
    )
