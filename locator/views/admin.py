"""Admin pages behind a sign-in: import runs, problem reports and the audit log.

Every /admin page needs a signed-in admin (``require_admin``, also used by the law-review
blueprint). The session cookie holds the admin's id and a fingerprint of their password hash,
so changing a password signs out every other session. Sign-ins and every change an admin
makes are written to the audit log.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import func, select
from sqlmodel import col
from werkzeug.wrappers import Response

from locator.admin import accounts as admin_users
from locator.admin.problem_reports import PROBLEMS, REPORT_STATUSES, recent_reports
from locator.models import ImportRun, ProblemReport
from locator.web.admin_auth import audit, client_hash, require_admin
from locator.web.session import get_session

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_admin)

RUNS_PER_PAGE = 50
AUDIT_PER_PAGE = 100


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/admin") and "//" not in target and "\\" not in target:
        return target
    return url_for("admin.imports")


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | str | tuple[str, int]:
    """Show the sign-in form, or sign an admin in and go where they were headed.

    Only a POST signs in: Flask answers HEAD with this view too, and a HEAD carries no CSRF
    check nor rate limit, so it must never read the form (it once signed in).
    """
    if request.method != "POST":
        next_url = _safe_next(request.args.get("next"))
        return render_template("admin_login.html", next_url=next_url)
    next_url = _safe_next(request.values.get("next"))
    username = request.form.get("username", "").strip()[:64]
    password = request.form.get("password", "")
    db = get_session()
    user = admin_users.authenticate(session=db, username=username, password=password)
    if user is None:
        g.login_failed = True  # counted by the failed-login rate limit
        admin_users.record(
            session=db, username=username, action="login_failed", address=client_hash()
        )
        db.commit()
        error = "That username and password do not match an admin account."
        page = render_template(
            "admin_login.html", next_url=next_url, error=error, username=username
        )
        return page, 400
    session.clear()  # nothing from before the sign-in carries over
    session.permanent = True
    session["admin_id"] = user.id
    session["admin_stamp"] = admin_users.session_stamp(user)
    admin_users.record(session=db, username=user.username, action="login", address=client_hash())
    db.commit()
    return redirect(next_url)


@bp.post("/logout")
def logout() -> Response:
    """Sign out: end this admin's sessions on the server too, then forget the cookie.

    A copy of the cookie saved before the sign-out carries the old session epoch, which no
    longer matches (locator/web/admin_auth.py).
    """
    audit("logout")
    admin_users.end_sessions(session=get_session(), user=g.admin)
    get_session().commit()
    session.clear()
    flash("You are signed out.")
    return redirect(url_for("admin.login"))


@bp.get("/")
def index() -> Response:
    """Open the admin area on the import runs."""
    return redirect(url_for("admin.imports"))


@bp.get("/audit")
def audit_log() -> str:
    """List admin actions, newest first: who, what, which record, when, from which address."""
    page = _page_number()
    rows, total = admin_users.audit_page(session=get_session(), page=page, per_page=AUDIT_PER_PAGE)
    return render_template(
        "admin_audit.html", rows=rows, total=total, page=page, per_page=AUDIT_PER_PAGE
    )


def _page_number() -> int:
    page = request.args.get("page", "1")
    # isdigit() alone lets "²" through, which int() then refuses.
    if not (page.isascii() and page.isdigit()) or int(page) < 1:
        abort(400, gettext("The page number must be a whole number from 1."))
    return int(page)


@bp.get("/imports")
def imports() -> str:
    """List import runs, newest first, with their counts, status and error."""
    source = request.args.get("source", "").strip()
    page = str(_page_number())
    db = get_session()
    query = select(ImportRun).order_by(col(ImportRun.started_at).desc(), col(ImportRun.id).desc())
    if source:
        query = query.where(col(ImportRun.source) == source)
    runs = db.scalars(query.offset((int(page) - 1) * RUNS_PER_PAGE).limit(RUNS_PER_PAGE))
    last_ok = db.execute(
        select(col(ImportRun.source), func.max(ImportRun.finished_at))
        .where(col(ImportRun.status).in_(["ok", "partial"]))
        .group_by(col(ImportRun.source))
        .order_by(col(ImportRun.source))
    ).all()
    sources = db.scalars(select(col(ImportRun.source)).distinct().order_by("source")).all()
    return render_template(
        "admin_imports.html",
        runs=list(runs),
        last_ok=last_ok,
        sources=sources,
        source=source,
        page=int(page),
        per_page=RUNS_PER_PAGE,
    )


@bp.get("/imports/<id:run_id>")
def import_run(run_id: int) -> str:
    """Show one run with every stored reject reason and unknown service name."""
    run = get_session().get(ImportRun, run_id)
    if run is None:
        abort(404, gettext("There is no import run with that number."))
    return render_template("admin_import_run.html", run=run)


@bp.get("/reports")
def reports() -> str:
    """List problem reports, newest first, for someone to check against the sources."""
    found = recent_reports(session=get_session())
    return render_template(
        "admin_reports.html", reports=found, problems=PROBLEMS, statuses=REPORT_STATUSES
    )


@bp.post("/reports/<id:report_id>/status")
def report_status(report_id: int) -> Response:
    """Mark a problem report new, reviewed or dismissed."""
    db = get_session()
    report = db.get(ProblemReport, report_id)
    if report is None:
        abort(404, gettext("There is no problem report with that number."))
    status = request.form.get("status", "")
    if status not in REPORT_STATUSES:
        abort(400, gettext("Choose a status: %(names)s.", names=", ".join(REPORT_STATUSES)))
    audit("report_status", f"report {report_id}", f"{report.status} -> {status}")
    report.status = status
    db.add(report)
    db.commit()
    flash(f"Report {report_id} is now {status}.")
    return redirect(url_for("admin.reports"))
