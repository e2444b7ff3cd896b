"""The referral list page: rendered from its link, so it works without JavaScript too."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request, url_for

from locator.errors import BadQueryError
from locator.exports.formats import FORMATS
from locator.exports.referrals import Entry, list_link, moved, parse_entries, without
from locator.exports.rows import referral_rows
from locator.exports.writers import ExportRow
from locator.places.geo import Point
from locator.web.export_responses import absolute_url
from locator.web.hosts import external_url
from locator.web.params import parse_origin, parse_unit
from locator.web.session import current_settings, get_session

bp = Blueprint("referrals", __name__)


@bp.get("/referrals")
def page() -> tuple[str, int] | str:
    """Show the list in order with notes, reorder/remove links, a share link and exports."""
    try:
        entries = parse_entries(request.args, limit=current_settings().referral_max_entries)
        unit = parse_unit(request.args, current_settings())
        origin, origin_label = _origin()
    except BadQueryError as exc:
        return render_template("referrals.html", rows=[], error=str(exc), near=""), 400
    rows = list(
        referral_rows(
            session=get_session(), entries=entries, origin=origin, unit=unit, url_for=absolute_url
        )
    )
    listed = {(row.kind[0], row.id) for row in rows}
    kept = [e for e in entries if (e.kind, e.id) in listed]
    return render_template("referrals.html", **_context(kept, rows, entries, origin_label))


def _origin() -> tuple[Point | None, str]:
    if not (request.args.get("near") or request.args.get("lat")):
        return None, ""
    place = parse_origin(request.args, current_app.extensions["geocoder"], get_session())
    return place.point, place.label


def _context(
    kept: list[Entry], rows: list[ExportRow], asked: list[Entry], origin_label: str
) -> dict[str, Any]:
    near = (request.args.get("near") or "").strip()
    here = url_for("referrals.page")
    controls = [
        {
            "key": entry.key,
            "up": list_link(here, moved(kept, index, -1), near=near),
            "down": list_link(here, moved(kept, index, 1), near=near),
            "remove": list_link(here, without(kept, index), near=near),
        }
        for index, entry in enumerate(kept)
    ]
    exports = [
        (fmt.key, list_link(url_for("exports.referral_list", suffix=fmt.suffix), kept, near=near))
        for fmt in FORMATS.values()
    ]
    return {
        "rows": list(zip(rows, controls, strict=True)),
        "missing": len(asked) - len(kept),
        "share": list_link(external_url("referrals.page"), kept),
        "list_value": ",".join(e.key for e in kept),
        "exports": exports,
        "near": near,
        "origin_label": origin_label,
        "error": None,
    }
