"""Errors as a plain sentence: an error page for people, a JSON twin for the API."""

from __future__ import annotations

import time
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from jinja2 import Template
from sqlalchemy.exc import DatabaseError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLTimeoutError
from werkzeug.exceptions import HTTPException

from locator.errors import N_, BadQueryError, GeocoderUnavailableError, LocatorError, NotFoundError
from locator.web import i18n


def init_app(app: Flask) -> None:
    """Answer every error the app raises with a sentence (page or JSON)."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(BadQueryError, _bad_query)
    app.register_error_handler(GeocoderUnavailableError, _unavailable)
    app.register_error_handler(NotFoundError, _not_found)
    app.register_error_handler(LocatorError, _locator_error)
    app.register_error_handler(CSRFError, _csrf_error)
    for kind in DATABASE_OUTAGES:
        app.register_error_handler(kind, _database_outage)


# The database is down, unreachable or unreadable: a wait may help, so 503 with Retry-After.
# (A ProgrammingError or IntegrityError is our bug, and stays a 500.)
DATABASE_OUTAGES = (OperationalError, InterfaceError, SQLTimeoutError, DatabaseError)
OUTAGE_RETRY_SECONDS = 30


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
        429: N_("Too many requests from your address. Wait a little and try again."),
    }.get(status, N_("Something went wrong."))
    custom = exc.description and exc.description != type(exc).description
    # Views translate the descriptions they pass to abort(); this translates the defaults.
    body, status = error_response(
        status,
        str(exc.description) if custom and (status < 500 or status == 503) else gettext(default),
    )
    response = current_app.make_response((body, status))
    for name, value in exc.get_headers():  # Allow on a 405 (RFC 9110), Retry-After on a 503
        if name in ("Allow", "Retry-After"):
            response.headers[name] = value
    if status == 429 and "Retry-After" not in response.headers:
        response.headers["Retry-After"] = str(_seconds_to_wait())
    return response


def _seconds_to_wait() -> int:
    """Seconds until the rate limit that was hit lets the client in again."""
    found = current_app.extensions["rate_limiter"].current_limit
    if found is None:
        return 60
    return max(1, int(found.reset_at - time.time()) + 1)


def _csrf_error(exc: CSRFError) -> Any:
    return error_response(
        400,
        gettext(
            "This form has expired or did not come from this site. Go back, reload the page "
            "and send it again."
        ),
    )


def _bad_query(exc: BadQueryError) -> Any:
    extra: dict[str, Any] = {"field": exc.field}
    suggestions = getattr(exc, "suggestions", None)
    if suggestions:
        extra["suggestions"] = suggestions
    return error_response(400, i18n.error_message(exc), **extra)


def _not_found(exc: NotFoundError) -> Any:
    return error_response(404, str(exc))


def _unavailable(exc: GeocoderUnavailableError) -> Any:
    return error_response(503, i18n.error_message(exc))


def _database_outage(exc: DatabaseError | SQLTimeoutError) -> Any:
    if isinstance(exc, DatabaseError) and type(exc) not in DATABASE_OUTAGES:
        raise exc  # a subclass that means a bug (ProgrammingError...): the 500 handler's
    current_app.logger.error("Database unavailable: %s", exc.__class__.__name__, exc_info=exc)
    body, status = error_response(
        503,
        gettext(
            "The directory's database is not answering right now. Please try again in a "
            "minute; in a crisis call or text 988."
        ),
    )
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(OUTAGE_RETRY_SECONDS)
    return response


def _locator_error(exc: LocatorError) -> Any:
    return error_response(500, gettext("Something went wrong on our side. Please try again."))
