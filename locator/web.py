"""Wire the web layer: blueprints, error pages with JSON twins, template helpers, languages."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import (
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import Babel, get_locale, gettext
from flask_wtf.csrf import CSRFError
from jinja2 import Template
from markupsafe import Markup, escape
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter, Map

from locator import i18n
from locator.db import get_session
from locator.errors import N_, BadQueryError, GeocoderUnavailableError, LocatorError, NotFoundError
from locator.laws import (
    LOCAL_KINDS,
    STATUS_INFO,
    LocalIndex,
    LocalRule,
    local_index,
    local_rules_for,
    statuses_by_state,
)
from locator.laws import badge as law_badge
from locator.states import state_name
from locator.taxonomy import FACILITY_TYPES, GROUPS, categories_in, category

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
    # The catalogue is looked up once per request (a fifth of the page; bench/pages.py).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        lambda text, **values: i18n.request_translations().ugettext(text),
        lambda one, many, n, **values: i18n.request_translations().ungettext(one, many, n),
        newstyle=True,
    )
    from locator.views import (
        admin,
        admin_laws,
        api,
        api_exports,
        exports,
        facilities,
        guide,
        health,
        laws,
        laws_api,
        meetings,
        meetings_api,
        referrals,
        reports,
        search,
    )

    app.register_blueprint(search.bp)
    app.register_blueprint(facilities.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(meetings.bp)
    app.register_blueprint(meetings_api.bp)
    app.register_blueprint(laws.bp)
    app.register_blueprint(laws_api.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(admin_laws.bp)
    app.register_blueprint(guide.bp)
    app.register_blueprint(reports.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(exports.bp)
    app.register_blueprint(api_exports.bp)
    app.register_blueprint(referrals.bp)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(BadQueryError, _bad_query)
    app.register_error_handler(GeocoderUnavailableError, _unavailable)
    app.register_error_handler(NotFoundError, _not_found)
    app.register_error_handler(LocatorError, _locator_error)
    from locator.fragments import FragmentCache, cached_fragment
    from locator.result_list import facility_items

    app.extensions["fragment_cache"] = FragmentCache()

    app.jinja_env.globals.update(
        crisis_lines=CRISIS_LINES,
        facility_items=facility_items,
        cached_fragment=cached_fragment,
        state_name=state_name,
        facility_type_names=FACILITY_TYPES,
        service_groups=GROUPS,
        categories_in=categories_in,
        service_options=service_options,
        chosen_outside=chosen_outside,
        directions_url=directions_url,
        tel_href=tel_href,
        law_badge=law_badge,
        law_statuses=law_statuses,
        local_law_rules=local_law_rules,
        local_law_kinds=LOCAL_KINDS,
        law_status_choices=[(s.value, info.label) for s, info in STATUS_INFO.items()],
    )
    app.jinja_env.filters["distance"] = format_distance
    app.jinja_env.filters["tr"] = translate_label
    from locator import security

    app.after_request(security.security_headers)
    app.register_error_handler(CSRFError, _csrf_error)
    security.init_app(app)


def translate_label(text: str) -> str:
    """Translate a label from the vocabulary (service, group), remembered for the request.

    A results page shows the same few labels on every result and ~130 in the form.
    """
    memo: dict[str, str] | None = g.get("_labels")
    if memo is None:
        memo = g._labels = {}
    found = memo.get(text)
    if found is None:
        found = memo[text] = i18n.request_translations().ugettext(text)
    return found


def service_options(group: str, chosen: list[str]) -> Markup:
    """Render the <option>s of one filter group, the chosen ones selected.

    The form offers ~130 of them on every search page; built once per language and choice
    here, they cost nothing after the first page (a Jinja loop was a third of the results
    page; bench/pages.py).
    """
    selected = tuple(k for k in chosen if (c := category(k)) is not None and c.group == group)
    return _service_options(str(get_locale()), group, selected)


@lru_cache(maxsize=1024)
def _service_options(locale: str, group: str, selected: tuple[str, ...]) -> Markup:
    parts = []
    for found in categories_in(group):
        mark = " selected" if found.key in selected else ""
        label = escape(translate_label(found.label))
        parts.append(f'<option value="{escape(found.key)}"{mark}>{label}</option>')
    return Markup("".join(parts))  # noqa: S704 - every value in it is escaped above


def chosen_outside(chosen: list[str], group: str) -> list[str]:
    """Return the chosen filters that belong to other groups than ``group``."""
    return [k for k in chosen if (c := category(k)) is not None and c.group != group]


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
        status, str(exc.description) if custom and status < 500 else gettext(default)
    )
    response = current_app.make_response((body, status))
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


def _locator_error(exc: LocatorError) -> Any:
    return error_response(500, gettext("Something went wrong on our side. Please try again."))


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


def law_status_json(state: str, city: str = "", county: str = "") -> dict[str, Any] | None:
    """Return the kratom-law badge of a listing's state, with its known local rules, or None."""
    status = law_statuses().get(state)
    if status is None:
        return None
    urls: dict[str, str] = g.setdefault("law_urls", {})  # built once per state and request
    url = urls.get(state) or urls.setdefault(
        state, url_for("laws_api.law", state=state, _external=True)
    )
    local = [
        {"place": r.place, "county": r.county, "kind": r.kind, "source_url": r.source_url}
        for r in local_law_rules(state, city, county)
    ]
    return {"status": status, "badge": law_badge(status), "url": url, "local": local}


def local_law_rules(state: str, city: str, county: str = "") -> list[LocalRule]:
    """Return the known kratom rules of a listing's city or county (index read once a request)."""
    return local_rules_for(local_law_index(), state, city, county)


def local_law_index() -> LocalIndex:
    """Return every known city and county kratom rule, indexed; read once per request."""
    if "local_law_index" not in g:
        g.local_law_index = local_index(session=get_session())
    found: LocalIndex = g.local_law_index
    return found


def law_statuses() -> dict[str, str]:
    """Return state code -> kratom-law status, read once per request (56 rows)."""
    if "law_statuses" not in g:
        g.law_statuses = statuses_by_state(session=get_session())
    found: dict[str, str] = g.law_statuses
    return found
