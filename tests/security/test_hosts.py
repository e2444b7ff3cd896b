"""Probe: a forged Host header must reach no link, export, API field, calendar or redirect."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from locator import create_app
from locator.errors import ConfigError
from tests.conftest import make_app
from tests.utils.meetings import add_meetings, meeting, meetings

PUBLIC = "https://locator.example.org"
EVIL = {"Host": "evil.example"}


@pytest.fixture
def production(db_url: str, engine: Engine) -> Iterator[Flask]:
    add_meetings(engine, meeting("host-probe"))
    app = make_app(db_url, ENV="production", SECRET_KEY="x" * 32, PUBLIC_URL=PUBLIC, PROXY_HOPS=0)
    yield app
    app.extensions["engine"].dispose()


def public_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    client.environ_base["wsgi.url_scheme"] = "https"
    return client


def absolute_urls(client: FlaskClient, engine: Engine, headers: dict[str, str]) -> list[str]:
    """Collect the absolute URLs the site writes: API fields, exports, share link, .ics."""
    found: list[str] = []
    api = client.get("/api/v1/facilities?near=22903", headers=headers).json
    found += [r["url"] for r in api["results"]]
    found += [r["law"]["url"] for r in api["results"] if r.get("law")]
    csv = client.get("/export/facilities.csv?near=22903", headers=headers).get_data(as_text=True)
    found += [cell for line in csv.splitlines() for cell in line.split(",") if "://" in cell]
    key = meetings(engine)["host-probe"].id
    body = client.get(f"/api/v1/meetings/{key}", headers=headers).json["meeting"]
    found += [body["url"], body["ics"]]
    ics = client.get(f"/meetings/{key}.ics", headers=headers).get_data(as_text=True)
    found += [line.split(":", 1)[1] for line in ics.splitlines() if line.startswith("URL")]
    share = client.get("/referrals?l=f1", headers=headers).get_data(as_text=True)
    found += [part.split('"')[0] for part in share.split('value="')[1:] if "://" in part]
    return found


def test_production_refuses_a_forged_host_before_anything_runs(production: Flask) -> None:
    client = public_client(production)
    for url in ("/", "/admin", "/api/v1/services", "/search?near=22903"):
        answer = client.get(url, headers=EVIL)
        assert answer.status_code == 400, url
        assert "evil.example" not in answer.headers.get("Location", "")
        assert "does not answer for that host" in answer.get_data(as_text=True)


def test_every_absolute_url_comes_from_public_url(production: Flask, engine: Engine) -> None:
    client = public_client(production)
    found = absolute_urls(client, engine, {"Host": "locator.example.org"})
    assert len(found) > 5
    site = [u for u in found if "locator.example.org" in u or "evil" in u]
    assert site and all(u.startswith(PUBLIC + "/") for u in site), site
    redirect = client.get("/admin", headers={"Host": "locator.example.org"})
    assert redirect.headers["Location"] in ("/admin/", PUBLIC + "/admin/")


def test_in_development_public_url_still_beats_the_host_header(db_url: str, engine: Engine) -> None:
    add_meetings(engine, meeting("host-probe"))
    app = make_app(db_url, PUBLIC_URL=PUBLIC)
    found = absolute_urls(app.test_client(), engine, EVIL)
    assert found and not [u for u in found if "evil.example" in u], found
    app.extensions["engine"].dispose()


def test_trusted_hosts_are_answered_too(db_url: str) -> None:
    app = make_app(
        db_url,
        ENV="production",
        SECRET_KEY="x" * 32,
        PUBLIC_URL=PUBLIC,
        ALLOWED_HOSTS=["www.locator.example.org"],
    )
    client = public_client(app)
    assert client.get("/", headers={"Host": "www.locator.example.org"}).status_code == 200
    assert client.get("/", headers={"Host": "locator.example.org:443"}).status_code == 200
    assert client.get("/", headers=EVIL).status_code == 400
    app.extensions["engine"].dispose()


def test_production_without_public_url_stops_with_a_sentence(db_url: str) -> None:
    with pytest.raises(ConfigError, match="Set public_url"):
        create_app({"DATABASE_URL": db_url, "ENV": "production", "SECRET_KEY": "x" * 32})
    with pytest.raises(ConfigError, match="not a site address"):
        create_app({"DATABASE_URL": db_url, "PUBLIC_URL": "locator.example.org"})
