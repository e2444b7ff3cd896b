"""State kratom-law pages: the map and sortable table (/laws) and one state (/laws/<state>)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, render_template, request

from locator.laws.confidence import CONFIDENCE_RULE, MISSING, NOT_READ, SOURCE_KIND_WORDS
from locator.laws.review import HISTORY_FIELDS, history_changes
from locator.laws.status import (
    AGE_WORDS,
    CONFIDENCE,
    COVERS,
    LOCAL_KINDS,
    SEVEN_OH_RULES,
    STATUS_INFO,
    age_rule,
    all_laws,
    federal_actions,
    federal_overlay,
    get_law,
    history,
    is_expired,
    local_restrictions,
    meaning,
    seven_oh_note,
    status_label,
    upcoming,
)
from locator.laws.table import SORTS, sorted_laws
from locator.notices import LAW_DISCLAIMER
from locator.places.law_filter import LawStatus
from locator.web.session import get_session

bp = Blueprint("laws", __name__, url_prefix="/laws")

# A tile-grid cartogram: (row, column) of each state's square, roughly where it lies.
TILES: dict[str, tuple[int, int]] = {
    "AK": (0, 0), "ME": (0, 11), "WI": (1, 6), "VT": (1, 10), "NH": (1, 11),
    "WA": (2, 1), "ID": (2, 2), "MT": (2, 3), "ND": (2, 4), "MN": (2, 5), "IL": (2, 6),
    "MI": (2, 7), "NY": (2, 9), "MA": (2, 10),
    "OR": (3, 1), "NV": (3, 2), "WY": (3, 3), "SD": (3, 4), "IA": (3, 5), "IN": (3, 6),
    "OH": (3, 7), "PA": (3, 8), "NJ": (3, 9), "CT": (3, 10), "RI": (3, 11),
    "CA": (4, 1), "UT": (4, 2), "CO": (4, 3), "NE": (4, 4), "MO": (4, 5), "KY": (4, 6),
    "WV": (4, 7), "VA": (4, 8), "MD": (4, 9), "DE": (4, 10),
    "AZ": (5, 2), "NM": (5, 3), "KS": (5, 4), "AR": (5, 5), "TN": (5, 6), "NC": (5, 7),
    "SC": (5, 8), "DC": (5, 9),
    "OK": (6, 4), "LA": (6, 5), "MS": (6, 6), "AL": (6, 7), "GA": (6, 8),
    "HI": (7, 0), "TX": (7, 4), "FL": (7, 9),
    "GU": (8, 0), "MP": (8, 1), "AS": (8, 2), "PR": (8, 9), "VI": (8, 10),
}  # fmt: skip
TILE_SIZE = 54
# Short text drawn on each tile, so the map never relies on colour alone.
TILE_WORDS = {
    LawStatus.BANNED: "BAN",
    LawStatus.TEMPORARY_BAN: "TEMP",
    LawStatus.REGULATED_KCPA: "KCPA",
    LawStatus.RESTRICTED: "PART",
    LawStatus.AGE_LIMIT_ONLY: "AGE",
    LawStatus.UNREGULATED: "NONE",
    LawStatus.UNKNOWN: "?",
}


@bp.get("")
def index() -> str:
    """Show every state's status on a tile map and in a table sortable without JavaScript."""
    session = get_session()
    sort = (request.args.get("sort") or "state").strip().lower()
    direction = (request.args.get("dir") or "asc").strip().lower()
    laws = all_laws(session=session)
    rows = sorted_laws(laws, sort, direction)
    today = date.today()
    federal = federal_actions(session=session)
    return render_template(
        "laws.html",
        laws=rows,
        tiles=[(law, TILES[law.state]) for law in laws if law.state in TILES],
        tile_size=TILE_SIZE,
        tile_words=TILE_WORDS,
        sorts=SORTS,
        sort=sort,
        direction=direction,
        today=today,
        federal=federal,
        overlay=federal_overlay(federal, today),
        **_shared(),
    )


@bp.get("/<state>")
def detail(state: str) -> str:
    """Show one state's kratom law in plain words, with its 7-OH rule, sources and dates."""
    session = get_session()
    law = get_law(session=session, code=state)
    today = date.today()
    federal = federal_actions(session=session)
    return render_template(
        "law.html",
        law=law,
        label=status_label(law, today),
        meaning=meaning(law.status),
        expired=is_expired(law, today),
        restrictions=local_restrictions(session=session, state=law.state),
        federal=federal,
        overlay=federal_overlay(federal, today),
        upcoming=upcoming(law, today),
        history=history(session=session, state=law.state),
        age=age_rule(law, today),
        seven_oh_extra=seven_oh_note(law),
        missing=MISSING.get(law.confidence, ""),
        today=today,
        **_shared(),
    )


def _shared() -> dict[str, Any]:
    return {
        "status_info": STATUS_INFO,
        "status_label": status_label,
        "is_expired": is_expired,
        "confidence_names": CONFIDENCE,
        "confidence_rule": CONFIDENCE_RULE,
        "source_kinds": SOURCE_KIND_WORDS,
        "not_read": NOT_READ,
        "age_words": AGE_WORDS,
        "age_rule": age_rule,
        "history_changes": history_changes,
        "history_fields": HISTORY_FIELDS,
        "covers_names": COVERS,
        "seven_oh_rules": SEVEN_OH_RULES,
        "local_kinds": LOCAL_KINDS,
        "law_disclaimer": LAW_DISCLAIMER,
        "law_status": LawStatus,
    }
