"""Our own host: every absolute URL comes from ``public_url``; other hosts are refused.

A forged ``Host`` header once reached share links, export URLs, the API's ``url`` fields, the
calendar file's URL and redirects. With ``public_url`` set, Flask builds every external URL
(and every redirect) from it (SERVER_NAME and the scheme), and in production a request whose
Host is neither ``public_url``'s host nor one of ``allowed_hosts`` is answered 400 before any
view runs. In development an empty ``public_url`` keeps the request's host, so
http://127.0.0.1:5000 and http://localhost:5000 both work.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, request, url_for
from flask_babel import gettext
from werkzeug.sansio.utils import host_is_trusted

from locator.config import Settings, settings_of
from locator.errors import ConfigError


def init_app(app: Flask) -> None:
    """Build URLs from ``public_url`` and, in production, refuse every other host first."""
    settings = settings_of(app)
    parts = public_parts(settings)
    if parts is None:
        return
    scheme, netloc, path = parts
    app.config.update(SERVER_NAME=netloc, PREFERRED_URL_SCHEME=scheme, APPLICATION_ROOT=path or "/")
    hosts = [urlsplit(f"//{netloc}").hostname or netloc, *settings.allowed_hosts]
    app.extensions["allowed_hosts"] = hosts
    app.extensions["public_scheme"] = scheme
    if settings.env == "production":
        # First of all hooks: nothing (limits, CSRF, a view) runs for a host that is not ours.
        app.before_request_funcs.setdefault(None, []).insert(0, refuse_other_hosts)


def public_parts(settings: Settings) -> tuple[str, str, str] | None:
    """Return (scheme, host[:port], path) of ``public_url``, or None when it is not set.

    Raises:
        ConfigError: it is malformed, or missing in production.
    """
    value = settings.public_url.strip()
    if not value:
        if settings.env == "production":
            raise ConfigError(
                "Set public_url (LOCATOR_PUBLIC_URL) to the site's address, e.g. "
                "https://locator.example.org, before running in production: links and "
                "redirects are built from it and requests for other hosts are refused."
            )
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query:
        raise ConfigError(
            f"public_url = {value!r} is not a site address; write e.g. "
            "https://locator.example.org (scheme and host, no query)."
        )
    return parts.scheme, parts.netloc, parts.path.rstrip("/")


def refuse_other_hosts() -> None:
    """Answer 400 for a Host header that is not ours (production only)."""
    host = request.environ.get("HTTP_HOST") or request.environ.get("SERVER_NAME", "")
    if not host_is_trusted(host, current_app.extensions["allowed_hosts"]):
        abort(400, gettext("This site does not answer for that host name."))


def external_url(endpoint: str, **values: Any) -> str:
    """Return the absolute URL of ``endpoint``: from ``public_url`` when it is set."""
    scheme = current_app.extensions.get("public_scheme")
    if scheme:
        values["_scheme"] = scheme
    return url_for(endpoint, _external=True, **values)
