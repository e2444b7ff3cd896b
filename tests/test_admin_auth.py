"""The admin area: sign-in with hashed passwords, CSRF on every post, audit log, law review."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.admin.accounts import AdminUserError, create_user
from locator.cli import cli
from locator.models import (
    AdminUser,
    AuditLog,
    LawChangeProposal,
    LawHistory,
    ProblemReport,
    StateLaw,
)
from tests.conftest import (
    ADMIN_NAME,
    ADMIN_PASSWORD,
    admin_client_for,
    create_admin,
    form_token,
    log_in,
    make_app,
    post_form,
)

ADMIN_PAGES = ["/admin/imports", "/admin/reports", "/admin/laws", "/admin/audit"]


def audit_rows(app: Flask) -> list[AuditLog]:
    with Session(app.extensions["engine"]) as session:
        return list(session.scalars(select(AuditLog).order_by(col(AuditLog.id))))


def test_every_admin_page_sends_a_stranger_to_the_sign_in_page(client: FlaskClient) -> None:
    for url in ADMIN_PAGES:
        answer = client.get(url)
        assert answer.status_code == 302, url
        assert answer.headers["Location"].startswith("/admin/login?next=")
    assert (
        client.get("/admin/imports/1").headers["Location"] == "/admin/login?next=/admin/imports/1"
    )


def test_an_admin_signs_in_sees_the_pages_and_signs_out(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    answer = log_in(client)
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/imports"
    for url in ADMIN_PAGES:
        page = client.get(url)
        assert page.status_code == 200, url
        assert page.headers["Cache-Control"] == "no-store"
        assert ADMIN_NAME in page.get_data(as_text=True)
    token = form_token(client, "/admin/imports")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/imports").status_code == 302, "signed out means signed out"
    assert [r.action for r in audit_rows(app)] == ["login", "logout"]


def test_sign_in_goes_back_where_the_admin_was_headed_but_never_off_site(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    token = form_token(client, "/admin/login")
    data = {"csrf_token": token, "username": ADMIN_NAME, "password": ADMIN_PASSWORD}
    back = client.post("/admin/login", data={**data, "next": "/admin/audit"})
    assert back.headers["Location"] == "/admin/audit"
    for bad in ("https://evil.example/", "//evil.example/admin", "/search"):
        client = app.test_client()
        token = form_token(client, "/admin/login")
        away = client.post("/admin/login", data={**data, "csrf_token": token, "next": bad})
        assert away.headers["Location"] == "/admin/imports", bad


def test_the_session_cookie_is_secure_httponly_and_lax(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    cookie = log_in(client).headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_a_wrong_password_is_refused_in_words_and_audited(app: Flask) -> None:
    create_admin(app)
    client = app.test_client()
    for name, password in ((ADMIN_NAME, "wrong password!!"), ("nobody", ADMIN_PASSWORD)):
        answer = log_in(client, name, password)
        assert answer.status_code == 400
        assert "do not match an admin account" in answer.get_data(as_text=True)
    assert client.get("/admin/imports").status_code == 302
    rows = audit_rows(app)
    assert [(r.action, r.username) for r in rows] == [
        ("login_failed", ADMIN_NAME),
        ("login_failed", "nobody"),
    ]
    assert all(len(r.address_hash) == 32 and "127.0.0.1" not in r.address_hash for r in rows)


def test_failed_sign_ins_are_rate_limited_but_a_good_one_is_not_counted(db_url: str) -> None:
    app = make_app(db_url, RATELIMIT_LOGIN="3 per minute", RATELIMIT_KEY_PREFIX=uuid.uuid4().hex)
    create_admin(app)
    client = app.test_client()
    assert log_in(client).status_code == 302  # a success does not use up the budget
    codes = [
        log_in(app.test_client(), ADMIN_NAME, "not the password").status_code for _ in range(4)
    ]
    assert codes == [400, 400, 400, 429]
    refused = log_in(app.test_client())
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in refused.get_data(as_text=True)
    other = log_in(
        app.test_client(),
        ADMIN_NAME,
        "not the password",
    )
    assert other.status_code == 429
    elsewhere = app.test_client()
    token = form_token(elsewhere, "/admin/login")
    ok = elsewhere.post(
        "/admin/login",
        data={"csrf_token": token, "username": ADMIN_NAME, "password": ADMIN_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert ok.status_code == 302, "another address can still sign in"
    app.extensions["engine"].dispose()


def test_every_admin_post_and_the_report_form_need_the_csrf_token(
    app: Flask, admin_client: FlaskClient
) -> None:
    for url in (
        "/admin/logout",
        "/admin/laws/1/accept",
        "/admin/reports/1/status",
        "/facilities/1/report",
    ):
        answer = admin_client.post(url, data={"status": "reviewed", "problem": "phone"})
        assert answer.status_code == 400, url
        assert "did not come from this site" in answer.get_data(as_text=True)
    bad = admin_client.post("/admin/logout", data={"csrf_token": "forged"})
    assert bad.status_code == 400
    assert admin_client.get("/admin/imports").status_code == 200, "still signed in"
    stranger = app.test_client()
    assert (
        stranger.post(
            "/admin/login", data={"username": ADMIN_NAME, "password": ADMIN_PASSWORD}
        ).status_code
        == 400
    )


def test_a_password_change_ends_the_other_sessions(app: Flask, admin_client: FlaskClient) -> None:
    from locator.admin.accounts import set_password

    with Session(app.extensions["engine"]) as session:
        set_password(session=session, username=ADMIN_NAME, password="a brand new passphrase")
    assert admin_client.get("/admin/imports").status_code == 302


def test_a_disabled_admin_is_signed_out(app: Flask, admin_client: FlaskClient) -> None:
    with Session(app.extensions["engine"]) as session:
        user = session.scalars(select(AdminUser)).one()
        user.active = False
        session.add(user)
        session.commit()
    assert admin_client.get("/admin/imports").status_code == 302
    assert log_in(app.test_client()).status_code == 400


def test_passwords_are_stored_only_as_scrypt_hashes(app: Flask) -> None:
    create_admin(app)
    with Session(app.extensions["engine"]) as session:
        user = session.scalars(select(AdminUser)).one()
        assert user.password_hash.startswith("scrypt:") and ADMIN_PASSWORD not in user.password_hash
        with pytest.raises(AdminUserError, match="at least 12"):
            create_user(session=session, username="short", password="tiny")
        with pytest.raises(AdminUserError, match="already an admin"):
            create_user(session=session, username=ADMIN_NAME, password=ADMIN_PASSWORD)
        with pytest.raises(AdminUserError, match="no spaces"):
            create_user(session=session, username="two words", password=ADMIN_PASSWORD)


def test_create_user_prompts_for_the_password_and_never_takes_it_as_an_argument(
    app: Flask,
) -> None:
    runner = app.test_cli_runner()
    made = runner.invoke(
        cli, ["admin", "create-user", "ops"], input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n"
    )
    assert made.exit_code == 0, made.output
    assert "Created the admin ops" in made.output and ADMIN_PASSWORD not in made.output
    assert log_in(app.test_client(), "ops", ADMIN_PASSWORD).status_code == 302
    as_argument = runner.invoke(cli, ["admin", "create-user", "ops2", "--password", "x" * 20])
    assert as_argument.exit_code != 0
    mismatch = runner.invoke(
        cli,
        ["admin", "create-user", "ops3"],
        input=f"{ADMIN_PASSWORD}\nsomething else entirely\n" * 1,
    )
    assert mismatch.exit_code != 0
    short = runner.invoke(cli, ["admin", "create-user", "ops4"], input="tiny\ntiny\n")
    assert short.exit_code != 0 and "at least 12" in short.output
    changed = runner.invoke(
        cli, ["admin", "set-password", "ops"], input="another long passphrase\n" * 2
    )
    assert changed.exit_code == 0, changed.output
    assert log_in(app.test_client(), "ops", "another long passphrase").status_code == 302
    assert [r.action for r in audit_rows(app) if r.username == "(command line)"] == [
        "create_user",
        "set_password",
    ]


def add_proposal(engine: Engine, **fields: object) -> int:
    with Session(engine) as session:
        proposal = LawChangeProposal(
            **{"state": "TX", "source": "official_page", "summary": "The page changed.", **fields}
        )
        session.add(proposal)
        session.commit()
        assert proposal.id is not None
        return proposal.id


def test_a_law_proposal_is_accepted_on_the_web_like_the_command_does(
    app: Flask, engine: Engine, admin_client: FlaskClient
) -> None:
    pid = add_proposal(engine, proposed={"status": "banned", "other": "ignored"})
    listed = BeautifulSoup(admin_client.get("/admin/laws").text, "html.parser")
    assert listed.select_one(f"table.proposals a[href='/admin/laws/{pid}']")
    page = BeautifulSoup(admin_client.get(f"/admin/laws/{pid}").text, "html.parser")
    assert page.select_one("textarea#changes").text == "status=banned"
    answer = post_form(
        admin_client,
        f"/admin/laws/{pid}/accept",
        {
            "changes": "status=banned\r\nminimum_age=21",
            "state": "TX",
            "note": "Signed",
            "reviewed_on": "2026-11-20",
        },
        form_url=f"/admin/laws/{pid}",
    )
    assert answer.status_code == 302
    with Session(engine) as session:
        law = session.get(StateLaw, "TX")
        assert law is not None and (law.status, law.minimum_age) == ("banned", 21)
        assert law.verified_on == date(2026, 11, 20)
        # The shipped research reviews have their own history rows; this one is the web's.
        history = session.scalars(
            select(LawHistory).where(col(LawHistory.proposal_id) == pid)
        ).one()
        assert history.note == "Signed"
        assert session.get(LawChangeProposal, pid).status == "accepted"
    (entry,) = [r for r in audit_rows(app) if r.action == "law_accept"]
    assert (entry.username, entry.target) == (ADMIN_NAME, f"proposal {pid}")
    assert "status=banned" in entry.detail
    assert "law_accept" in admin_client.get("/admin/audit").get_data(as_text=True)


def test_a_bad_change_is_refused_in_words_and_changes_nothing(
    app: Flask, engine: Engine, admin_client: FlaskClient
) -> None:
    pid = add_proposal(engine)
    answer = post_form(
        admin_client,
        f"/admin/laws/{pid}/accept",
        {"changes": "status=legal"},
        form_url=f"/admin/laws/{pid}",
    )
    assert answer.status_code == 400
    assert "status must be one of banned" in answer.get_data(as_text=True)
    bad_date = post_form(
        admin_client,
        f"/admin/laws/{pid}/accept",
        {"reviewed_on": "yesterday"},
        form_url=f"/admin/laws/{pid}",
    )
    assert bad_date.status_code == 400 and "2026-08-28" in bad_date.get_data(as_text=True)
    with Session(engine) as session:
        assert session.get(StateLaw, "TX").status == "regulated_kcpa"
        assert session.get(LawChangeProposal, pid).status == "pending"
    assert [r.action for r in audit_rows(app)] == ["login"], "nothing done, nothing audited"
    assert admin_client.get("/admin/laws/999999").status_code == 404


def test_a_law_proposal_is_rejected_on_the_web(
    app: Flask, engine: Engine, admin_client: FlaskClient
) -> None:
    pid = add_proposal(engine)
    answer = post_form(
        admin_client,
        f"/admin/laws/{pid}/reject",
        {"note": "Only a lead"},
        form_url=f"/admin/laws/{pid}",
    )
    assert answer.status_code == 302
    assert "Rejected proposal" in admin_client.get("/admin/laws").get_data(as_text=True)
    with Session(engine) as session:
        found = session.get(LawChangeProposal, pid)
        assert found is not None and (found.status, found.review_note) == (
            "rejected",
            "Only a lead",
        )
        assert session.get(StateLaw, "TX").status == "regulated_kcpa"
    again = post_form(admin_client, f"/admin/laws/{pid}/reject", {}, form_url="/admin/laws")
    assert again.status_code == 400 and "already rejected" in again.get_data(as_text=True)
    assert [r.action for r in audit_rows(app)] == ["login", "law_reject"]


def test_a_problem_report_is_marked_reviewed(app: Flask, engine: Engine) -> None:
    with Session(engine) as session:
        report = ProblemReport(
            kind="facility",
            listing_id=1,
            listing_source="samhsa",
            listing_key="k",
            listing_name="Somewhere",
            problem="phone",
            sender="x",
        )
        session.add(report)
        session.commit()
        rid = report.id
    client = admin_client_for(app)
    answer = post_form(
        client, f"/admin/reports/{rid}/status", {"status": "reviewed"}, form_url="/admin/reports"
    )
    assert answer.status_code == 302
    with Session(engine) as session:
        assert session.get(ProblemReport, rid).status == "reviewed"
    bad = post_form(
        client, f"/admin/reports/{rid}/status", {"status": "deleted"}, form_url="/admin/reports"
    )
    assert bad.status_code == 400 and "Choose a status" in bad.get_data(as_text=True)
    assert [(r.action, r.detail) for r in audit_rows(app)][-1] == (
        "report_status",
        "new -> reviewed",
    )
