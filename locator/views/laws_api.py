"""The kratom-law JSON API (v1): every state's reviewed row, one state, and the federal overlay."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, jsonify
from flask_babel import gettext

from locator.laws.status import (
    all_laws,
    federal_actions,
    federal_json,
    get_law,
    law_json,
    local_restrictions,
)
from locator.notices import LAW_DISCLAIMER
from locator.web.session import get_session

bp = Blueprint("laws_api", __name__, url_prefix="/api/v1")


@bp.get("/laws")
def laws() -> Response:
    """List every state and territory's kratom law with the federal actions on 7-OH."""
    session = get_session()
    today = date.today()
    body = {
        "laws": [
            law_json(law, local_restrictions(session=session, state=law.state), today)
            for law in all_laws(session=session)
        ],
        "federal": [federal_json(a) for a in federal_actions(session=session)],
        "disclaimer": gettext(LAW_DISCLAIMER),
    }
    return jsonify(body)


@bp.get("/laws/<state>")
def law(state: str) -> Response:
    """Return one state's kratom law (two-letter code, any case); unknown codes are a 404."""
    session = get_session()
    row = get_law(session=session, code=state)
    body = {
        "law": law_json(row, local_restrictions(session=session, state=row.state), date.today()),
        "federal": [federal_json(a) for a in federal_actions(session=session)],
        "disclaimer": gettext(LAW_DISCLAIMER),
    }
    return jsonify(body)
