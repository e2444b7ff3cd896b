"""GET /healthz: database reachability and source freshness, for a load balancer or monitor."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from locator.models import utcnow
from locator.ops.health import DatabaseCheck, check_database, source_freshness
from locator.web.session import current_settings, get_engine, get_session

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """Answer 200 (ok or degraded: a source is stale) while the database answers, else 503."""
    database = check_database(get_engine())
    sources = []
    if database.reachable:
        try:
            sources = source_freshness(get_session(), current_settings(), utcnow())
        except SQLAlchemyError:  # reachable but not migrated, or gone since the first query
            database = DatabaseCheck(reachable=False, latency_ms=None)
    status = "down"
    if database.reachable:
        status = "degraded" if any(s["stale"] for s in sources) else "ok"
    body = {
        "status": status,
        "database": {"reachable": database.reachable, "latency_ms": database.latency_ms},
        "sources": sources,
    }
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response, 503 if status == "down" else 200
