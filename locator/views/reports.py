"""'Report a problem' on a facility or meeting: a short form, stored for review."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext
from werkzeug.wrappers import Response

from locator.admin.problem_reports import (
    PROBLEMS,
    ReportLimits,
    TooManyReportsError,
    sender_hash,
    store_report,
)
from locator.errors import BadQueryError
from locator.models import Facility, Meeting
from locator.web.session import current_settings, get_session

bp = Blueprint("reports", __name__)


def _listing(kind: str, listing_id: int) -> Facility | Meeting:
    session = get_session()
    found = (
        session.get(Facility, listing_id)
        if kind == "facilities"
        else session.get(Meeting, listing_id)
    )
    if found is None:
        abort(404, gettext("We could not find that listing. It may have been removed."))
    return found


@bp.get("/<any(facilities, meetings):kind>/<id:listing_id>/report")
def form(kind: str, listing_id: int) -> str:
    """Show the report form for one listing."""
    listing = _listing(kind, listing_id)
    return render_template("report.html", kind=kind, listing=listing, problems=PROBLEMS)


@bp.post("/<any(facilities, meetings):kind>/<id:listing_id>/report")
def submit(kind: str, listing_id: int) -> tuple[str, int] | str | Response:
    """Store the report, or re-show the form with a sentence saying what to fix."""
    listing = _listing(kind, listing_id)
    if request.form.get("website"):  # a field people never see: only robots fill it in
        return render_template("report_thanks.html", kind=kind, listing=listing)
    settings = current_settings()
    sender = sender_hash(
        request.remote_addr or "", settings.secret_key, datetime.now(UTC).date().isoformat()
    )
    try:
        store_report(
            session=get_session(),
            listing=listing,
            problem=request.form.get("problem", ""),
            text=request.form.get("text", ""),
            sender=sender,
            limits=ReportLimits(
                settings.report_limit_per_sender_per_hour, settings.report_limit_per_hour
            ),
        )
    except BadQueryError as exc:
        context = {"error": str(exc), "field": exc.field, "form": request.form}
        page = render_template(
            "report.html", kind=kind, listing=listing, problems=PROBLEMS, **context
        )
        return page, 400
    except TooManyReportsError as exc:
        page = render_template(
            "report.html",
            kind=kind,
            listing=listing,
            problems=PROBLEMS,
            error=str(exc),
            form=request.form,
        )
        response = current_app.make_response((page, 429))
        response.headers["Retry-After"] = str(exc.retry_after)
        return response
    return render_template("report_thanks.html", kind=kind, listing=listing)
