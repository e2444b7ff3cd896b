"""Export routes of a facility search and of a referral list: CSV, Excel, PDF sheet, HSDS.

The work is in locator/web/export_responses.py, shared with the API's export routes.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from locator.exports.formats import choose_format
from locator.web.export_responses import referral_export, search_export

bp = Blueprint("exports", __name__)


@bp.get("/export/facilities.<string:suffix>")
def facilities(suffix: str) -> Response:
    """Export every facility the search with these parameters matches."""
    return search_export(request.args, choose_format(suffix, by_suffix=True))


@bp.get("/referrals/export.<string:suffix>")
def referral_list(suffix: str) -> Response:
    """Export a referral list, in its order, with its notes."""
    return referral_export(request.args, choose_format(suffix, by_suffix=True))
