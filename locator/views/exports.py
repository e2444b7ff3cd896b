"""Exports of a facility search and of a referral list: CSV, Excel, PDF sheet, HSDS.

A search export takes exactly the search page's parameters (locator/views/params.py), checks
the size cap with one count before any byte is sent, then streams every matching facility in
the page's order. The page routes name the format in the path (/export/facilities.csv); the
API (locator/views/api_exports.py) takes ``format=``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from flask import Blueprint, Response, abort, current_app, request, stream_with_context, url_for
from werkzeug.datastructures import MultiDict

from locator import exports, hsds
from locator.db import get_session
from locator.errors import BadQueryError
from locator.export_rows import generated_on, referral_rows, search_rows
from locator.exports import ExportRow, SheetHeading
from locator.geo import Point
from locator.referrals import parse_entries
from locator.search import count_matches
from locator.views.params import parse_origin, parse_search, parse_unit

bp = Blueprint("exports", __name__)

NOTICE = (
    "Directory information from public sources, not medical or legal advice. Listings can be "
    "out of date: call before going."
)


@dataclass(frozen=True, slots=True)
class Format:
    """One export format: its media type and file-name ending."""

    key: str
    media_type: str
    suffix: str


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("csv", "text/csv; charset=utf-8", "csv"),
        Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        Format("pdf", "application/pdf", "pdf"),
        Format("hsds-json", "application/json", "hsds.json"),
        Format("hsds-zip", "application/zip", "hsds.zip"),
    )
}
BY_SUFFIX = {f.suffix: f for f in FORMATS.values()}


def choose_format(key: str | None, *, by_suffix: bool = False) -> Format:
    """Return the format asked for, or raise a BadQueryError listing the formats."""
    found = (BY_SUFFIX if by_suffix else FORMATS).get((key or "").strip().lower())
    if found is None:
        names = ", ".join(BY_SUFFIX if by_suffix else FORMATS)
        raise BadQueryError(f"Choose an export format: {names}.", field="format")
    return found


@bp.get("/export/facilities.<string:suffix>")
def facilities(suffix: str) -> Response:
    """Export every facility the search with these parameters matches."""
    return search_export(request.args, choose_format(suffix, by_suffix=True))


@bp.get("/referrals/export.<string:suffix>")
def referral_list(suffix: str) -> Response:
    """Export a referral list, in its order, with its notes."""
    return referral_export(request.args, choose_format(suffix, by_suffix=True))


def absolute_url(kind: str, row_id: int) -> str:
    """Return the public page of a facility or meeting."""
    if kind == "facility":
        return url_for("facilities.detail", facility_id=row_id, _external=True)
    return url_for("meetings.detail", meeting_id=row_id, _external=True)


def search_export(args: MultiDict[str, str], fmt: Format) -> Response:
    """Check the search and its size, then stream its rows in ``fmt``."""
    session = get_session()
    found = parse_search(args, current_app.config, current_app.extensions["geocoder"], session)
    total = count_matches(session=session, query=found.query)
    cap = current_app.config["EXPORT_MAX_ROWS"]
    if total > cap:
        abort(
            413,
            f"This search matches {total:,} facilities; an export can hold at most {cap:,}. "
            "Choose a smaller distance or add filters, then export again.",
        )
    q = found.query
    origin = f"Distances in {q.unit} from {found.place.label}." if q.radius else ""
    heading = _heading(f"Treatment near {found.place.label}", origin)

    def rows() -> Iterator[ExportRow]:
        return search_rows(session=session, query=q, url_for=absolute_url)

    return _stream(fmt, rows, heading, "facilities")


def referral_export(args: MultiDict[str, str], fmt: Format) -> Response:
    """Stream a referral list in ``fmt``; distances only when an origin is given."""
    session = get_session()
    entries = parse_entries(args, limit=current_app.config["REFERRAL_MAX_ENTRIES"])
    if not entries:
        raise BadQueryError(
            "The referral list is empty: add facilities or meetings, then export.", field="l"
        )
    unit = parse_unit(args, current_app.config)
    origin: Point | None = None
    label = ""
    if args.get("near") or args.get("lat"):
        place = parse_origin(args, current_app.extensions["geocoder"], session)
        origin, label = place.point, f"Distances in {unit} from {place.label}."

    def rows() -> Iterator[ExportRow]:
        return referral_rows(
            session=session, entries=entries, origin=origin, unit=unit, url_for=absolute_url
        )

    return _stream(fmt, rows, _heading("Referral list", label), "referral-list")


def _heading(title: str, origin: str) -> SheetHeading:
    from locator.web import CRISIS_LINES

    return SheetHeading(
        title=title,
        generated_on=generated_on(),
        origin=origin,
        crisis_lines=tuple((line["name"], line["number"]) for line in CRISIS_LINES),
        disclaimer=NOTICE,
    )


def _stream(
    fmt: Format, rows: Callable[[], Iterable[ExportRow]], heading: SheetHeading, stem: str
) -> Response:
    writers: dict[str, Callable[[], Iterator[bytes]]] = {
        "csv": lambda: exports.csv_chunks(rows()),
        "xlsx": lambda: exports.xlsx_chunks(rows()),
        "pdf": lambda: iter([exports.pdf_bytes(rows(), heading)]),
        "hsds-json": lambda: hsds.json_chunks(r for r in rows() if r.kind == "facility"),
        "hsds-zip": lambda: hsds.zip_chunks(r for r in rows() if r.kind == "facility"),
    }
    name = f"{stem}-{heading.generated_on.isoformat()}.{fmt.suffix}"
    response = Response(stream_with_context(writers[fmt.key]()), mimetype=None)
    response.headers["Content-Type"] = fmt.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
