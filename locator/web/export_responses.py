"""Export responses: check a search's size, then stream its rows as CSV, XLSX, PDF or HSDS.

A search export takes exactly the search page's parameters (locator/web/params.py), checks the
size cap with one count before any byte is sent, then streams every matching facility in the
page's order. The page routes (locator/views/exports.py) name the format in the path; the API
(locator/views/api_exports.py) takes ``format=``.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import IO, Any
from urllib.parse import urlencode

from flask import Response, abort, current_app, request, stream_with_context
from flask_babel import get_locale, gettext, ngettext
from sqlmodel import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import ServiceUnavailable

from locator.admin import accounts as admin_users
from locator.errors import N_, BadQueryError
from locator.exports import hsds
from locator.exports import writers as exports
from locator.exports.formats import Format
from locator.exports.referrals import parse_entries
from locator.exports.rows import generated_on, referral_rows, search_rows
from locator.exports.writers import CHUNK_BYTES, ExportRow, SheetHeading, file_chunks
from locator.facilities.search import FacilityQuery, count_matches
from locator.facilities.taxonomy import CATEGORIES, FACILITY_TYPES
from locator.notices import CRISIS_LINES, EXPORT_NOTICE
from locator.places.geo import Point
from locator.web import i18n
from locator.web.admin_auth import client_hash, signed_in_user
from locator.web.helpers import translate_label
from locator.web.hosts import external_url
from locator.web.i18n import localized_place
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
    label = localized_place(found.place).label
    origin = _distances_from(q.unit, label) if q.radius else ""
    title = gettext("Treatment near %(place)s", place=label)
    heading = _heading(
        title, origin, came_from=search_words(q, label), link=_page_link("search.results", args)
    )
    _remember_export(fmt, "search")

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
        origin, label = place.point, _distances_from(unit, localized_place(place).label)
    _remember_export(fmt, "list")

    def rows() -> Iterator[ExportRow]:
        return referral_rows(
            session=session, entries=entries, origin=origin, unit=unit, url_for=absolute_url
        )

    came_from = ngettext(
        "A referral list of %(num)d entry.", "A referral list of %(num)d entries.", len(entries)
    )
    heading = _heading(
        gettext("Referral list"),
        label,
        came_from=came_from,
        link=_page_link("referrals.page", args),
    )
    return _stream(fmt, rows, heading, "referral-list")


def _distances_from(unit: str, label: str) -> str:
    words = gettext("miles") if unit == "mi" else gettext("km")
    return str(gettext("Distances in %(unit)s from %(place)s.", unit=words, place=label))


def search_words(query: FacilityQuery, label: str) -> str:
    """Describe a search in words: 'Search: within 25 miles of 22903; Detox; Medicaid.'"""
    if query.radius:
        unit = gettext("miles") if query.unit == "mi" else gettext("km")
        where = gettext(
            "within %(radius)s %(unit)s of %(place)s",
            radius=f"{query.radius:g}",
            unit=unit,
            place=label,
        )
    else:
        where = gettext("in %(place)s", place=label)
    parts = [where]
    labels = {c.key: c.label for c in CATEGORIES}
    parts.extend(translate_label(labels[key]) for key in query.categories if key in labels)
    parts.extend(translate_label(FACILITY_TYPES[t]) for t in query.facility_types)
    if query.confirmed_since is not None:
        parts.append(
            gettext("confirmed by phone since %(date)s", date=query.confirmed_since.isoformat())
        )
    return str(gettext("Search: %(search)s.", search="; ".join(parts)))


def _page_link(endpoint: str, args: MultiDict[str, str]) -> str:
    """Return the page the export was made from, to open it again (format and paging left out)."""
    keep: dict[str, Any] = args.to_dict(flat=False)
    for name in ("format", "page", "per_page"):
        keep.pop(name, None)
    return external_url(endpoint, **keep)


def _remember_export(fmt: Format, what: str) -> None:
    """Audit a signed-in account's export, so they find their recent exports and lists again.

    The referral notes (``n.<entry>``) are left out of the stored link: they may be about the
    person being referred, and they stay in the coordinator's own browser, never in our log.
    """
    user = signed_in_user()
    if user is None:
        return
    kept = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("n.")]
    admin_users.record(
        session=get_session(),
        username=user.username,
        action="export",
        target=f"{what} {fmt.suffix}",
        detail=f"{request.path}?{urlencode(kept)}" if kept else request.path,
        address=client_hash(),
    )
    get_session().commit()


def _heading(title: str, origin: str, *, came_from: str, link: str) -> SheetHeading:
    translations = i18n.request_translations()
    return SheetHeading(
        title=title,
        generated_on=generated_on(),
        origin=origin,
        crisis_lines=tuple(
            (translate_label(line["name"]), line["number"]) for line in CRISIS_LINES
        ),
        disclaimer=gettext(EXPORT_NOTICE),
        came_from=came_from,
        link=link,
        gettext=translations.ugettext,
        ngettext=translations.ungettext,
    )


def _stream(
    fmt: Format, rows: Callable[[], Iterable[ExportRow]], heading: SheetHeading, stem: str
) -> Response:
    writers: dict[str, Callable[[], Iterator[bytes]]] = {
        "csv": lambda: exports.csv_chunks(rows()),
        "xlsx": lambda: _xlsx(rows(), heading),
        "pdf": lambda: iter([_drawn_pdf(rows, heading)]),
        "hsds-json": lambda: _capped_json(rows),
        "hsds-zip": lambda: hsds.zip_chunks(r for r in rows() if r.kind == "facility"),
    }
    name = f"{stem}-{heading.generated_on.isoformat()}.{fmt.suffix}"
    # A PDF is drawn here, in the view (under the worker's bound), not while streaming.
    chunks = _closing(writers[fmt.key](), get_session())
    response = Response(stream_with_context(chunks), mimetype=None)
    response.headers["Content-Type"] = fmt.media_type
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _xlsx(rows: Iterable[ExportRow], heading: SheetHeading) -> Iterator[bytes]:
    """The workbook; in a language other than English its header and words are translated
    (in English the header keeps the CSV's column keys, which tools read)."""
    if str(get_locale()).startswith("en"):
        return exports.xlsx_chunks(rows, title=heading.title)
    return exports.xlsx_chunks(
        rows, title=heading.title, gettext=heading.gettext, ngettext=heading.ngettext
    )


PDF_RETRY_SECONDS = 10


def _capped_json(rows: Callable[[], Iterable[ExportRow]]) -> Iterator[bytes]:
    """Write the HSDS JSON to a spooled file within its byte cap, else answer 413 unsent.

    Rows alone did not bound it: one facility's JSON once weighed 53 KB, so 5,000 rows made
    200 MB. Writing first costs a temporary file and lets the cap be checked before any byte
    goes out.
    """
    cap = current_settings().export_max_hsds_bytes
    handle = tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_BYTES)  # noqa: SIM115
    size = 0
    for chunk in hsds.json_chunks(r for r in rows() if r.kind == "facility"):
        size += len(chunk)
        if size > cap:
            handle.close()
            abort(
                413,
                gettext(
                    "This HSDS export would be larger than %(size)s kilobytes. Choose a "
                    "smaller distance or add filters, or export CSV, then export again.",
                    size=f"{cap // 1000:,}",
                ),
            )
        handle.write(chunk)
    handle.seek(0)
    return _file_then_close(handle)


def _file_then_close(handle: IO[bytes]) -> Iterator[bytes]:
    try:
        yield from file_chunks(handle)
    finally:
        handle.close()


def _drawn_pdf(rows: Callable[[], Iterable[ExportRow]], heading: SheetHeading) -> bytes:
    """Draw a PDF sheet if this worker has a free drawing slot, else answer 503.

    Drawing a 400-row sheet holds a CPU for seconds; six at once once delayed a search page
    by half a minute. At most ``export_pdf_concurrency`` are drawn at a time per worker.
    """
    gate = _pdf_gate()
    if not gate.acquire(blocking=False):
        raise ServiceUnavailable(
            gettext(
                "Another printable sheet is being prepared right now. Try again in a few "
                "seconds, or export CSV or Excel, which are ready at once."
            ),
            retry_after=PDF_RETRY_SECONDS,
        )
    from locator.exports.pdf import pdf_bytes  # fpdf2 and numpy: only where a sheet is drawn

    try:
        return pdf_bytes(rows(), heading)
    finally:
        gate.release()


def _pdf_gate() -> threading.BoundedSemaphore:
    gate: threading.BoundedSemaphore | None = current_app.extensions.get("pdf_gate")
    if gate is None:
        with _GATE_LOCK:
            gate = current_app.extensions.get("pdf_gate")
            if gate is None:  # another thread may have made it meanwhile
                size = current_settings().export_pdf_concurrency
                gate = current_app.extensions["pdf_gate"] = threading.BoundedSemaphore(size)
    return gate


_GATE_LOCK = threading.Lock()


def _closing(chunks: Iterator[bytes], session: Session) -> Iterator[bytes]:
    """Yield the export, then end its read transaction at once (not when the client leaves)."""
    try:
        yield from chunks
    finally:
        session.close()
