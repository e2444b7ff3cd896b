"""Security headers, the secret key rule, request size limits and rate limits (memory, Redis)."""

from __future__ import annotations

import re
import secrets
import socket
import uuid
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from locator import create_app
from locator.errors import ConfigError
from locator.paths import STATIC_DIR, TEMPLATES_DIR
from locator.web.security import CookieSessions, content_security_policy
from tests.browser.test_accessibility import every_page
from tests.conftest import admin_client_for, make_app

REDIS_URL = "redis://127.0.0.1:6379/15"


def policy_of(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";"))


def test_every_page_sends_the_security_headers(app: Flask) -> None:
    client = admin_client_for(app)  # the admin pages are on the list too
    for url in every_page(app):
        response = client.get(url)
        assert response.status_code in (200, 400, 404), url
        headers = response.headers
        assert headers["X-Content-Type-Options"] == "nosniff", url
        assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin", url
        policy = policy_of(response)
        assert policy["script-src"] == "'self'" and policy["style-src"] == "'self'", url
        assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'", url
        assert "Strict-Transport-Security" not in headers, "HSTS is off unless configured"
    api = client.get("/api/v1/services")
    assert policy_of(api)["default-src"] == "'self'" and api.headers["X-Frame-Options"] == "DENY"


def test_the_policy_lets_the_map_tiles_in_and_nothing_else() -> None:
    policy = content_security_policy("https://tile.openstreetmap.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in policy
    assert "connect-src 'self'" in policy and "base-uri 'self'" in policy
    assert "form-action 'self'" in policy
    wildcard = content_security_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' data: https://*.tile.example.org;" in wildcard
    assert "img-src 'self' data:;" in content_security_policy("/static/img/blank-tile.png")
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_hsts_is_sent_only_when_configured(db_url: str) -> None:
    app = make_app(db_url, HSTS_SECONDS=31536000)
    response = app.test_client().get("/")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    app.extensions["engine"].dispose()


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)


@pytest.mark.parametrize("path", sorted(TEMPLATES_DIR.rglob("*.html")), ids=lambda p: p.name)
def test_no_template_has_inline_script_style_or_handlers(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not INLINE_SCRIPT.search(text), "inline <script> is blocked by the CSP"
    assert not INLINE_STYLE.search(text), "inline style is blocked by the CSP"
    assert not EVENT_HANDLER.search(text), "on* handlers are blocked by the CSP"
    assert "javascript:" not in text.lower()


def test_no_script_writes_inline_styles_or_evaluates_strings() -> None:
    for path in (STATIC_DIR / "js").glob("*.js"):
        text = path.read_text(encoding="utf-8")
        assert 'setAttribute("style"' not in text and "eval(" not in text, path.name
        assert "new Function" not in text, path.name


def test_the_inline_check_catches_what_it_is_for() -> None:
    assert INLINE_SCRIPT.search("<script>alert(1)</script>")
    assert not INLINE_SCRIPT.search('<script src="/static/js/x.js" defer></script>')
    assert INLINE_STYLE.search('<p style="color: red">') and INLINE_STYLE.search("<style>")
    assert EVENT_HANDLER.search('<button onclick="go()">')


@pytest.mark.parametrize("key", ["", "dev-only-not-secret", "short"])
def test_production_refuses_to_start_with_a_default_empty_or_short_secret_key(
    db_url: str, key: str
) -> None:
    with pytest.raises(ConfigError, match="Set secret_key"):
        create_app({"DATABASE_URL": db_url, "ENV": "production", "SECRET_KEY": key})


def test_production_starts_with_a_real_secret_key_and_development_with_the_default(
    db_url: str,
) -> None:
    key = uuid.uuid4().hex
    app = create_app(
        {
            "DATABASE_URL": db_url,
            "ENV": "production",
            "SECRET_KEY": key,
            "PUBLIC_URL": "https://x.org",
        }
    )
    assert app.secret_key == key
    app.extensions["engine"].dispose()
    dev = create_app({"DATABASE_URL": db_url})
    assert dev.secret_key == "dev-only-not-secret"
    dev.extensions["engine"].dispose()


def test_the_secret_key_rule_reads_the_environment_too(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LOCATOR_ENV", "production")
    with pytest.raises(ConfigError, match="LOCATOR_SECRET_KEY"):
        create_app({"DATABASE_URL": db_url})


def test_a_body_over_the_limit_is_refused_with_413_in_words(db_url: str) -> None:
    app = make_app(db_url, MAX_CONTENT_LENGTH=2048)
    client = app.test_client()
    page = client.post("/facilities/1/report", data={"text": "x" * 5000})
    assert page.status_code == 413
    assert "at most 2 kilobytes" in page.get_data(as_text=True)
    api = client.get("/api/v1/facilities?near=22903", data=b"x" * 5000)
    assert api.status_code == 413 and api.is_json
    assert api.json["error"] == {
        "status": 413,
        "message": "That request is too large: send at most 2 kilobytes.",
    }
    assert client.get("/api/v1/services").status_code == 200
    app.extensions["engine"].dispose()


def test_a_bad_rate_limit_setting_stops_the_start(db_url: str) -> None:
    with pytest.raises(ConfigError, match="ratelimit_api"):
        create_app({"DATABASE_URL": db_url, "RATELIMIT_API": "lots"})


def limited_app(db_url: str, **overrides: object) -> Flask:
    settings: dict[str, object] = {
        "RATELIMIT_API": "3 per minute",
        "RATELIMIT_EXPORTS": "2 per minute",
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    return make_app(db_url, **{**settings, **overrides})


def assert_api_limit(client: FlaskClient) -> None:
    codes = [client.get("/api/v1/services").status_code for _ in range(3)]
    assert codes == [200, 200, 200]
    refused = client.get("/api/v1/meetings?near=22903")  # one budget for the whole API
    assert refused.status_code == 429 and refused.is_json
    assert refused.json["error"]["status"] == 429
    assert "You can try again in" in refused.json["error"]["message"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    other = client.get("/api/v1/services", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200, "each address has its own budget"


def test_the_api_is_rate_limited_per_address_with_retry_after(db_url: str) -> None:
    app = limited_app(db_url)
    assert_api_limit(app.test_client())
    app.extensions["engine"].dispose()


def redis_is_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_is_up(), reason="no Redis at 127.0.0.1:6379")
def test_redis_storage_shares_the_count_between_workers(db_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex}"
    first = limited_app(db_url, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    second = limited_app(db_url, RATELIMIT_STORAGE_URI=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix)
    assert [first.test_client().get("/api/v1/services").status_code for _ in range(2)] == [200, 200]
    assert second.test_client().get("/api/v1/services").status_code == 200
    assert second.test_client().get("/api/v1/services").status_code == 429
    assert first.test_client().get("/api/v1/services").status_code == 429
    for app in (first, second):
        app.extensions["engine"].dispose()


def test_an_unreachable_redis_does_not_take_the_site_down(db_url: str) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = limited_app(db_url, RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{port}/0")
    client = app.test_client()
    assert [client.get("/api/v1/services").status_code for _ in range(5)] == [200] * 5
    app.extensions["engine"].dispose()


def test_exports_have_their_own_smaller_limit_on_pages_and_api(db_url: str) -> None:
    app = limited_app(db_url, RATELIMIT_API="100 per minute")
    client = app.test_client()
    assert client.get("/export/facilities.csv?near=22903").status_code == 200
    assert client.get("/api/v1/facilities/export?near=22903&format=csv").status_code == 200
    page = client.get("/export/facilities.csv?near=22903")
    assert page.status_code == 429 and "Retry-After" in page.headers
    assert "Too many requests" in page.get_data(as_text=True) and "988" in page.get_data(
        as_text=True
    )
    assert client.get("/api/v1/facilities?near=22903").status_code == 200, "searches still work"
    app.extensions["engine"].dispose()


def test_pages_static_files_are_not_limited(db_url: str) -> None:
    app = limited_app(db_url)
    client = app.test_client()
    for _ in range(4):
        client.get("/api/v1/services")
    assert client.get("/api/v1/services").status_code == 429
    with client.get("/static/style.css") as static:
        assert static.status_code == 200
    assert client.get("/").status_code == 200
    assert client.get("/search?near=22903").status_code == 200
    app.extensions["engine"].dispose()


def test_proxy_hops_count_the_client_behind_the_proxy(db_url: str) -> None:
    app = limited_app(db_url, PROXY_HOPS=1)
    client = app.test_client()
    for n in range(3):
        headers = {"X-Forwarded-For": "203.0.113.7"}
        assert client.get("/api/v1/services", headers=headers).status_code == 200, n
    assert (
        client.get("/api/v1/services", headers={"X-Forwarded-For": "203.0.113.7"}).status_code
        == 429
    )
    assert (
        client.get("/api/v1/services", headers={"X-Forwarded-For": "203.0.113.8"}).status_code
        == 200
    )
    app.extensions["engine"].dispose()


def test_pages_are_never_counted_against_a_limit(db_url: str) -> None:
    app = limited_app(db_url)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/search?near=22903").status_code == 200
        assert client.get("/laws").status_code == 200
    assert_api_limit(client)  # the API's whole budget is still there
    app.extensions["engine"].dispose()


def test_session_cookies_are_signed_by_the_current_key_and_its_fallbacks(app: Flask) -> None:
    # The signer is built once per key (CookieSessions): a changed key must still be obeyed.
    client = admin_client_for(app)
    assert client.get("/admin/audit").status_code == 200  # signed in by the session cookie
    sessions = app.session_interface
    assert isinstance(sessions, CookieSessions)
    first = sessions.get_signing_serializer(app)
    assert first is sessions.get_signing_serializer(app)
    old_key = app.secret_key
    app.secret_key = secrets.token_urlsafe(24)  # another key
    assert client.get("/admin/audit").status_code in (302, 303)  # the old cookie no longer signs in
    assert sessions.get_signing_serializer(app) is not first
    app.config["SECRET_KEY_FALLBACKS"] = [old_key]
    assert client.get("/admin/audit").status_code == 200  # the old key is accepted as a fallback
