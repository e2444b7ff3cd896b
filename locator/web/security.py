"""Security wiring: the secret key check, cookies, CSRF tokens, request size and rate limits.

Rate limits count per client address (after ``proxy_hops`` trusted proxies) in the storage
``ratelimit_storage_uri`` names: memory:// per worker, or Redis shared by every worker. The API
and the exports have their own budgets; failed admin logins a third. Every other request (pages,
health checks, static files) is never limited nor checked. A limit reached is answered 429
with Retry-After and the project's error page or JSON body (locator/web/errors.py).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, cast
from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from flask.sessions import SecureCookieSessionInterface
from flask_babel import gettext
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from locator.config import SETTINGS_BY_NAME, Settings, settings_of
from locator.errors import ConfigError
from locator.web import hosts
from locator.web.admin_auth import signed_in_user
from locator.web.session import current_settings

csrf = CSRFProtect()

DEFAULT_SECRET_KEY = str(SETTINGS_BY_NAME["secret_key"].default)
MIN_SECRET_KEY_LENGTH = 16
LIMIT_SETTINGS: dict[str, Callable[[Settings], str]] = {
    "ratelimit_api": lambda s: s.ratelimit_api,
    "ratelimit_exports": lambda s: s.ratelimit_exports,
    "ratelimit_exports_coordinator": lambda s: s.ratelimit_exports_coordinator,
    "ratelimit_login": lambda s: s.ratelimit_login,
}
API_BLUEPRINTS = ("api", "api_exports", "laws_api", "meetings_api")
EXPORT_ENDPOINTS = (
    "exports.facilities",
    "exports.referral_list",
    "api_exports.facilities_export",
    "api_exports.referrals_export",
)
LOGIN_ENDPOINT = "admin.login"
REDIS_TIMEOUT_SECONDS = 0.5
FAIL_OPEN_LIMIT = "1000000 per second"
# Every method that may change something: CSRF-checked and counted by the sign-in limit alike.
STATE_CHANGING_METHODS = ["POST", "PUT", "PATCH", "DELETE"]


def init_app(app: Flask) -> None:
    """Check the secret key and limits, then wire cookies, proxies, CSRF and rate limits."""
    settings = settings_of(app)
    check_secret_key(settings.env, settings.secret_key)
    check_limits(settings)
    app.config.update(
        SESSION_COOKIE_SECURE=settings.session_cookie_secure,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.admin_session_hours),
        WTF_CSRF_TIME_LIMIT=None,  # the token lives as long as the session cookie
        WTF_CSRF_METHODS=STATE_CHANGING_METHODS,
    )
    if settings.proxy_hops:
        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.session_interface = CookieSessions()
    hosts.init_app(app)  # its host check goes first of all before-request hooks
    app.before_request(refuse_large_body)  # before CSRFProtect reads the form
    csrf.init_app(app)
    app.extensions["rate_limiter"] = _limiter(app)


class CookieSessions(SecureCookieSessionInterface):
    """Flask's signed session cookies, with the signer built once per key instead of per request.

    Flask builds a new serializer for every request, session cookie or not: a fiftieth of a
    search API answer (bench/load.sh). The serializer keeps no state between calls; a changed
    secret key or fallback list builds a new one.
    """

    def __init__(self) -> None:
        self._signer: tuple[tuple[Any, ...], URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = self._signer
        if cached is None or cached[0] != key:
            cached = self._signer = (key, super().get_signing_serializer(app))
        return cached[1]


def check_secret_key(env: str, key: str) -> None:
    """Refuse a missing, default or short secret key outside development.

    Raises:
        ConfigError: with the sentence an operator needs to fix it.
    """
    if env == "development":
        return
    if not key or key == DEFAULT_SECRET_KEY or len(key) < MIN_SECRET_KEY_LENGTH:
        raise ConfigError(
            "Set secret_key (LOCATOR_SECRET_KEY) to a random string of at least "
            f"{MIN_SECRET_KEY_LENGTH} characters before running in {env}: the default or an "
            "empty key lets anyone forge admin sessions. For example: "
            'python -c "import secrets; print(secrets.token_hex(32))"'
        )


def check_limits(settings: Settings) -> None:
    """Check every rate-limit setting parses, so a typo stops the start, not a request."""
    for name, read in LIMIT_SETTINGS.items():
        try:
            parse_many(read(settings))
        except ValueError:
            raise ConfigError(
                f"Setting {name!r} = {read(settings)!r} is not a rate limit; write "
                "e.g. “120 per minute;2000 per hour”."
            ) from None


def refuse_large_body() -> None:
    """Answer 413 before a view runs when the declared body is over the limit."""
    limit = current_settings().max_content_length
    if request.content_length is not None and request.content_length > limit:
        abort(
            413,
            gettext(
                "That request is too large: send at most %(size)s kilobytes.",
                size=f"{limit // 1000:,}",
            ),
        )


def storage_options(uri: str) -> dict[str, Any]:
    """Return the Redis client options of the limiter's storage: give up within half a second.

    A Redis that accepts connections but never answers once hung every /api and export
    request with no timeout until every worker thread was stuck. Retries are off too: redis-py
    retries a timeout three times by default.
    """
    if not uri.startswith(("redis://", "rediss://", "redis+")):
        return {}
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    return {
        "socket_connect_timeout": REDIS_TIMEOUT_SECONDS,
        "socket_timeout": REDIS_TIMEOUT_SECONDS,
        "retry": Retry(NoBackoff(), 0),
    }


def _limiter(app: Flask) -> Limiter:
    uri = settings_of(app).ratelimit_storage_uri
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=uri,
        storage_options=storage_options(uri),
        headers_enabled=True,
        swallow_errors=True,
        # Fail open: while the storage is unreachable Flask-Limiter logs a warning and counts
        # in this worker's memory under a limit no client reaches, and it checks the storage
        # again at growing intervals (1, 2, 4 ... 32 s), so a hung Redis costs one timeout
        # now and then instead of one per request.
        in_memory_fallback_enabled=True,
        in_memory_fallback=[FAIL_OPEN_LIMIT],
        # Not a declared setting: tests give each app its own counters through it.
        key_prefix=app.config.get("RATELIMIT_KEY_PREFIX", "locator"),
    )
    limiter.request_filter(_never_limited)
    api = limiter.shared_limit(_setting("ratelimit_api"), scope="api", error_message=_too_many)
    for name in API_BLUEPRINTS:
        api(cast(Blueprint, app.blueprints[name]))
    exports = limiter.shared_limit(
        _setting("ratelimit_exports"),
        scope="exports",
        error_message=_too_many,
        exempt_when=lambda: _export_account() is not None,
    )
    # A signed-in coordinator's (or admin's) exports count per account, not per address.
    account_exports = limiter.shared_limit(
        _setting("ratelimit_exports_coordinator"),
        scope="account-exports",
        key_func=lambda: _export_account() or "",
        error_message=lambda: "Too many exports from your account. Wait and try again.",
        exempt_when=lambda: _export_account() is None,
    )
    for endpoint in EXPORT_ENDPOINTS:
        view = account_exports(exports(app.view_functions[endpoint]))
        app.view_functions[endpoint] = cast(Any, view)
    login = limiter.limit(
        _setting("ratelimit_login"),
        methods=STATE_CHANGING_METHODS,
        deduct_when=lambda _response: bool(g.get("login_failed")),
        error_message=lambda: "Too many failed sign-ins from your address. Wait and try again.",
    )
    app.view_functions[LOGIN_ENDPOINT] = cast(Any, login(app.view_functions[LOGIN_ENDPOINT]))
    return limiter


def _never_limited() -> bool:
    """Only the API, the exports and sign-in have limits; skip the check everywhere else.

    Flask-Limiter otherwise resolves the limits of every request, pages included, which was a
    tenth of a results page's server time (bench/pages.py).
    """
    endpoint = request.endpoint or ""
    return not (
        request.blueprint in API_BLUEPRINTS
        or endpoint in EXPORT_ENDPOINTS
        or endpoint == LOGIN_ENDPOINT
    )


def _export_account() -> str | None:
    """Return 'account:<id>' for a signed-in coordinator or admin, else None."""
    user = signed_in_user()
    return None if user is None else f"account:{user.id}"


def _setting(name: str) -> Callable[[], str]:
    read = LIMIT_SETTINGS[name]
    return lambda: read(current_settings())


def _too_many() -> str:
    return "Too many requests from your address."


def content_security_policy(map_tile_url: str) -> str:
    """Build the Content-Security-Policy: nothing inline, images also from the map tile host."""
    images = ["'self'", "data:"]
    tile_host = _tile_origin(map_tile_url)
    if tile_host:
        images.append(tile_host)
    directives = {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": " ".join(images),
        "connect-src": "'self'",
        "font-src": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def _tile_origin(url: str) -> str:
    """Return the scheme and host of a tile URL, its {s} subdomain as a wildcard."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""  # a path on this site: 'self' covers it
    labels = parts.netloc.split(".")
    if "{" in labels[0]:
        labels[0] = "*"
    return f"{parts.scheme}://{'.'.join(labels)}"


def security_headers(response: Response) -> Response:
    """Add the CSP, nosniff, referrer, framing and (when configured) HSTS headers.

    A header the view set itself is kept. The list is built once per app, and the response's
    headers are read once, not once per header (a fortieth of a search API answer).
    """
    headers = response.headers
    present = {name.lower() for name in headers.keys()}  # noqa: SIM118 - Headers is a list
    headers.extend(
        [(name, value) for name, value in _security_header_list() if name.lower() not in present]
    )
    if request.path.startswith("/admin"):
        headers["Cache-Control"] = "no-store"
    return response


def _security_header_list() -> list[tuple[str, str]]:
    """Return the security headers of this app's settings, built on first use."""
    found: list[tuple[str, str]] | None = current_app.extensions.get("security_headers")
    if found is None:
        settings = current_settings()
        found = [
            ("Content-Security-Policy", content_security_policy(settings.map_tile_url)),
            ("X-Content-Type-Options", "nosniff"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("X-Frame-Options", "DENY"),
            ("Cross-Origin-Opener-Policy", "same-origin"),
            ("Permissions-Policy", "camera=(), microphone=(), geolocation=(self)"),
        ]
        if settings.hsts_seconds:
            found.append(("Strict-Transport-Security", f"max-age={settings.hsts_seconds}"))
        current_app.extensions["security_headers"] = found
    return found
