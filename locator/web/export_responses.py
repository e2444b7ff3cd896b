"""Export responses: check a search's size, then stream its rows as CSV, XLSX, PDF or HSDS.

A search export takes exactly the search page's parameters (locator/web/params.py), checks the
size cap with one count before any byte is sent, then streams every matching facility in the
page's order. The page routes (locator/views/exports.py) name the format in the path; the API
(locator/views/api_exports.py) takes ``format=``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from flask import Response, abort, current_app, stream_with_context
from flask_babel import gettext
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from locator.errors import N_, BadQueryError
from locator.exports import hsds
from locator.exports import writers as exports
from locator.exports.formats import Format
from locator.exports.referrals import parse_entries
from locator.exports.rows import generated_on, referral_rows, search_rows
from locator.exports.writers import ExportRow, SheetHeading
from locator.facilities.search import count_matches
from locator.notices import CRISIS_LINES, EXPORT_NOTICE
from locator.places.geo import Point
from locator.web.hosts import external_url
from locator.web.params import parse_origin, parse_search, parse_unit
from locator.web.session import current_settings, get_session


def absolute_url(kind: str, row_id: int) -> str:
    """Return the public page of a facility or meeting."""
    if kind == "facility":
        return external_url("facilities.detail", facility_id=row_id)
    return external_url("meetings.detail", meeting_id=row_id)


def search_export(args: MultiDict[str, str], fmt: Format) -> Response:
    """Check the search and its size, then stream its rows in ``fmt``."""
    session = get_session()
    found = parse_search(args, current_settings(), current_app.extensions["geocoder"], session)
    total = count_matches(session=session, query=found.query)
    _check_size(total, fmt)
    q = found.query
    origin = f"Distances in {q.unit} from {found.place.label}." if q.radius else ""
    heading = _heading(f"Treatment near {found.place.label}", origin)

    def rows() -> Iterator[ExportRow]:
        return search_rows(session=session, query=q, url_for=absolute_url)

    return _stream(fmt, rows, heading, "facilities")


def _check_size(total: int, fmt: Format) -> None:
    """Refuse, before any byte is sent, an export larger than its cap."""
    cap = current_settings().export_max_rows
    if fmt.key == "pdf" and total > current_settings().export_max_pdf_rows:
        cap = current_settings().export_max_pdf_rows
        abort(
            413,
            gettext(
                "This search matches %(total)s facilities; a printable sheet can hold at most "
                "%(cap)s. Export CSV or Excel instead, or choose a smaller distance or filters.",
                total=f"{total:,}",
                cap=f"{cap:,}",
            ),
        )
    if total > cap:
        abort(
            413,
            gettext(
                "This search matches %(total)s facilities; an export can hold at most %(cap)s. "
                "Choose a smaller distance or add filters, then export again.",
                total=f"{total:,}",
                cap=f"{cap:,}",
            ),
        )


def referral_export(args: MultiDict[str, str], fmt: Format) -> Response:
    """Stream a referral list in ``fmt``; distances only when an origin is given."""
    session = get_session()
    entries = parse_entries(args, limit=current_settings().referral_max_entries)
    if not entries:
        raise BadQueryError(
            N_("The referral list is empty: add facilities or meetings, then export."), field="l"
        )
    unit = parse_unit(args, current_settings())
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
    return SheetHeading(
        title=title,
        generated_on=generated_on(),
        origin=origin,
        crisis_lines=tuple((line["name"], line["number"]) for line in CRISIS_LINES),
        disclaimer=EXPORT_NOTICE,
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
    chunks = _closing(writers[fmt.key](), get_session())
    response = Response(stream_with_context(chunks), mimetype=None)
    response.headers["Content-Type"] = fmt.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _closing(chunks: Iterator[bytes], session: Session) -> Iterator[bytes]:
    """Yield the export, then end its read transaction at once (not when the client leaves)."""
    try:
        yield from chunks
    finally:
        session.close()
