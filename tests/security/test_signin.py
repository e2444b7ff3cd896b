"""Probes of the sign-in: HEAD with a form body, other methods, a cookie kept past sign-out."""

from __future__ import annotations

import uuid

from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import ADMIN_NAME, ADMIN_PASSWORD, create_admin, form_token, log_in, make_app


def signed_in(client: FlaskClient) -> bool:
    return client.get("/admin/audit").status_code == 200


def test_head_with_a_form_body_never_signs_in(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    token = form_token(client, "/admin/login")
    answer = client.open(
        "/admin/login",
        method="HEAD",
        data={"csrf_token": token, "username": ADMIN_NAME, "password": ADMIN_PASSWORD},
    )
    assert answer.status_code == 200, "HEAD is the sign-in form's GET, nothing more"
    assert "Location" not in answer.headers
    assert not signed_in(client)


def test_head_guesses_are_not_a_way_around_the_sign_in_limit(db_url: str) -> None:
    app = make_app(db_url, RATELIMIT_LOGIN="2 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    create_admin(app)
    for _ in range(2):
        assert log_in(app.test_client(), ADMIN_NAME, "wrong").status_code == 400
    assert log_in(app.test_client()).status_code == 429
    client = app.test_client()
    token = form_token(client, "/admin/login")
    body = {"csrf_token": token, "username": ADMIN_NAME, "password": ADMIN_PASSWORD}
    assert client.open("/admin/login", method="HEAD", data=body).status_code == 200
    assert not signed_in(client), "the right password by HEAD still signs nobody in"
    app.extensions["engine"].dispose()


def test_only_get_and_post_reach_the_sign_in_and_405_says_what_is_allowed(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    token = form_token(client, "/admin/login")
    body = {"csrf_token": token, "username": ADMIN_NAME, "password": ADMIN_PASSWORD}
    for method in ("PUT", "PATCH", "DELETE"):
        answer = client.open("/admin/login", method=method, data=body)
        assert answer.status_code == 405, method
        allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
        assert {"GET", "POST"} <= allowed and method not in allowed
        assert "not accepted here" in answer.get_data(as_text=True)
    assert not signed_in(client)


def test_a_post_without_the_form_token_is_refused(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    answer = client.post("/admin/login", data={"username": ADMIN_NAME, "password": ADMIN_PASSWORD})
    assert answer.status_code == 400 and "did not come from this site" in answer.text
    assert not signed_in(client)


def test_a_cookie_saved_before_sign_out_opens_nothing_after_it(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    assert log_in(client).status_code == 302
    saved = client.get_cookie("session")
    assert saved is not None and signed_in(client)
    token = form_token(client, "/admin/audit")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    thief = app.test_client()
    thief.set_cookie("session", saved.value)
    answer = thief.get("/admin/audit")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/admin/login")
    again = app.test_client()
    assert log_in(again).status_code == 302 and signed_in(again), "signing in again works"


def test_a_superscript_page_number_is_a_sentence_not_a_crash(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    assert log_in(client).status_code == 302
    answer = client.get("/admin/audit?page=²")
    assert answer.status_code == 400 and "whole number" in answer.text
    assert client.get("/admin/imports?page=²").status_code == 400
