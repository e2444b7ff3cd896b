"""Admin-facing pages: the history of import runs (read-only; a login comes with production)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext
from sqlalchemy import func, select
from sqlmodel import col

from locator.db import get_session
from locator.models import ImportRun
from locator.reports import PROBLEMS, recent_reports

bp = Blueprint("admin", __name__, url_prefix="/admin")

RUNS_PER_PAGE = 50


@bp.get("/imports")
def imports() -> str:
    """List import runs, newest first, with their counts, status and error."""
    source = request.args.get("source", "").strip()
    page = request.args.get("page", "1")
    if not page.isdigit() or int(page) < 1:
        abort(400, gettext("The page number must be a whole number from 1."))
    session = get_session()
    query = select(ImportRun).order_by(col(ImportRun.started_at).desc(), col(ImportRun.id).desc())
    if source:
        query = query.where(col(ImportRun.source) == source)
    runs = session.scalars(query.offset((int(page) - 1) * RUNS_PER_PAGE).limit(RUNS_PER_PAGE))
    last_ok = session.execute(
        select(col(ImportRun.source), func.max(ImportRun.finished_at))
        .where(col(ImportRun.status).in_(["ok", "partial"]))
        .group_by(col(ImportRun.source))
        .order_by(col(ImportRun.source))
    ).all()
    sources = session.scalars(select(col(ImportRun.source)).distinct().order_by("source")).all()
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
    return render_template("admin_reports.html", reports=found, problems=PROBLEMS)
