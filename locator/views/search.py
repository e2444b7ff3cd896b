"""The home page and the facility search page."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from locator.admin.confirmations import LastConfirmation, latest_read, recently_confirmed_first
from locator.errors import BadQueryError
from locator.exports.formats import FORMATS
from locator.facilities.search import SearchPage, find_nearby
from locator.web.coverage import coverage_cache
from locator.web.helpers import args_with
from locator.web.i18n import error_message, localized_place
from locator.web.params import list_param, parse_search
from locator.web.results import asked_labels, beyond_empty
from locator.web.session import current_settings, get_reader, get_session, reads_only

bp = Blueprint("search", __name__)


@bp.get("/")
def home() -> str:
    """Show the search form and what the loaded data covers."""
    return render_template(
        "index.html", coverage=coverage_cache().get(session=get_session()), form=request.args
    )


@bp.get("/search")
@reads_only
def results() -> tuple[str, int] | str | Response:
    """Search facilities near a place; a bad value re-shows the form with a sentence."""
    args = request.args  # read once: each ``request`` is a context-local look-up
    given = args.to_dict()  # first values; MultiDict.get raises to find a missing name
    if not (given.get("near") or given.get("lat")):
        return render_template(
            "search.html",
            form=args,
            page=None,
            place=None,
            error=gettext("Enter a place: a 5-digit ZIP code or a city and state."),
        ), 400
    if "meetings" in list_param(args, "service"):
        # "NA/SMART meetings" is offered among the services: the meeting search answers it.
        keep: dict[str, Any] = {
            k: given[k] for k in ("near", "lat", "lon", "radius", "unit") if given.get(k)
        }
        return redirect(url_for("meetings.search", **keep))
    settings = current_settings()
    try:
        # The session opens only for the online geocoder's cache (see the search API).
        found = parse_search(args, settings, current_app.extensions["geocoder"], get_session)
    except BadQueryError as exc:
        return _form_with_error(exc), 400
    reader = get_reader()
    page = find_nearby(session=reader, query=found.query, with_listing=True)
    page, confirmations = with_confirmations(page)

    beyond = beyond_empty(session=reader, page=page, max_radius=settings.max_radius)
    return render_template(
        "search.html",
        form=args,
        page=page,
        confirmations=confirmations,
        beyond=beyond,
        asked=asked_labels(found.query),
        place=localized_place(found.place),
        error=None,
        exports=export_links(args),
        meetings_near=meetings_near(given),
    )


def with_confirmations(page: SearchPage) -> tuple[SearchPage, dict[int, LastConfirmation]]:
    """The page's latest phone calls (read with its listings); recently confirmed first at
    equal distance."""
    latest = latest_read(page.listings)
    hits = recently_confirmed_first(page.hits, latest, datetime.now(UTC).date())
    return replace(page, hits=hits), latest


def meetings_near(given: dict[str, str]) -> str:
    """Return the meeting search from the same place and distance (``given``: first values)."""
    where: dict[str, Any] = {
        name: given.get(name) for name in ("near", "lat", "lon", "radius", "unit")
    }  # None drops the name, as form.get gave it to url_for
    return url_for("meetings.search", **where)


def export_links(args: MultiDict[str, str]) -> dict[str, str]:
    """Return the URL exporting every result of this search, per format suffix.

    Built with one url_for and the suffix swapped in: five url_for calls over the whole
    query were a twentieth of the results page's server time (bench/pages.py).
    """
    # suffix is the export route's own (the format), never the visitor's.
    keep: dict[str, Any] = args_with(args, suffix=None)
    keep.pop("page", None)
    keep.pop("per_page", None)
    path, mark, query = url_for("exports.facilities", suffix="csv", **keep).partition("?")
    stem = path.removesuffix("csv")
    return {fmt.suffix: f"{stem}{fmt.suffix}{mark}{query}" for fmt in FORMATS.values()}


def _form_with_error(exc: BadQueryError) -> str:
    context: dict[str, Any] = {
        "form": request.args,
        "page": None,
        "place": None,
        "error": error_message(exc),
        "field": exc.field,
        "suggestions": getattr(exc, "suggestions", []),
    }
    return render_template("search.html", **context)
