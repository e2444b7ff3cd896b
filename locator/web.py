"""Wire the web layer: blueprints, error pages with JSON twins, template helpers, languages."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus

from flask import Flask, Response, jsonify, render_template, request
from flask_babel import Babel, gettext
from jinja2 import Template
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from locator import i18n
from locator.errors import N_, BadQueryError, GeocoderUnavailableError, LocatorError
from locator.states import state_name
from locator.taxonomy import FACILITY_TYPES, GROUPS, categories_in

CRISIS_LINES = (
    {
        "name": N_("988 Suicide & Crisis Lifeline"),
        "number": "988",
        "tel": "988",
        "note": N_("Call or text 988, any time."),
    },
    {
        "name": N_("SAMHSA National Helpline"),
        "number": "1-800-662-4357",
        "tel": "+18006624357",
        "note": N_("Free, confidential treatment referral, 24/7, in English and Spanish."),
    },
)


class RowIdConverter(IntegerConverter):
    """A database row id: 1 to 2**31 - 1, so no URL can overflow an INTEGER column."""

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


def init_app(app: Flask) -> None:
    """Register blueprints, error handlers and template helpers on ``app``."""
    app.url_map.converters["id"] = RowIdConverter
    Babel(app, locale_selector=i18n.choose_locale)
    i18n.init_app(app)
    from locator.views import admin, api, facilities, guide, meetings, meetings_api, search

    app.register_blueprint(search.bp)
    app.register_blueprint(facilities.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(meetings_api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(guide.bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(BadQueryError, _bad_query)
    app.register_error_handler(GeocoderUnavailableError, _unavailable)
    app.register_error_handler(LocatorError, _locator_error)
    app.jinja_env.globals.update(
        crisis_lines=CRISIS_LINES,
        state_name=state_name,
        facility_type_names=FACILITY_TYPES,
        service_groups=GROUPS,
        categories_in=categories_in,
        directions_url=directions_url,
        tel_href=tel_href,
    )
    app.jinja_env.filters["distance"] = format_distance
    app.after_request(_security_headers)


def is_api_request() -> bool:
    """Tell whether the request is for the JSON API."""
    return request.path.startswith("/api/")


def error_response(status: int, message: str, **extra: Any) -> tuple[Response | str, int]:
    """Render an error as a page for people or as a JSON body for the API."""
    if is_api_request():
        body = {"error": {"status": status, "message": message, **extra}}
        return jsonify(body), status
    names: list[str | Template] = [f"{status}.html", "error.html"]
    return render_template(names, status=status, message=message, **extra), status


def _http_error(exc: HTTPException) -> Any:
    status = exc.code or 500
    default = {
        404: N_("We could not find that page."),
        405: N_("That kind of request is not accepted here."),
        413: N_("That request is too large."),
    }.get(status, N_("Something went wrong."))
    custom = exc.description and exc.description != type(exc).description
    # Views translate the descriptions they pass to abort(); this translates the defaults.
    message = str(exc.description) if custom and status < 500 else gettext(default)
    return error_response(status, message)


def _bad_query(exc: BadQueryError) -> Any:
    extra: dict[str, Any] = {"field": exc.field}
    suggestions = getattr(exc, "suggestions", None)
    if suggestions:
        extra["suggestions"] = suggestions
    return error_response(400, i18n.error_message(exc), **extra)


def _unavailable(exc: GeocoderUnavailableError) -> Any:
    return error_response(503, i18n.error_message(exc))


def _locator_error(exc: LocatorError) -> Any:
    return error_response(500, gettext("Something went wrong on our side. Please try again."))


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    return response


def format_distance(value: float | None, unit: str = "mi") -> str:
    """Format a distance for people: '0.3 mi', '12 mi'."""
    if value is None:
        return ""
    shown = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return f"{shown} {unit}"


def directions_url(*parts: str) -> str:
    """Return a map-directions link for an address (opens the phone's map app)."""
    address = ", ".join(p for p in parts if p)
    return f"https://www.google.com/maps/dir/?api=1&destination={quote_plus(address)}"


def tel_href(phone: str) -> str:
    """Return a tel: link for a US phone number as published."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 10:
        digits = "1" + digits
    return f"tel:+{digits}"
