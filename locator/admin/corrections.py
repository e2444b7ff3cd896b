"""Corrections: an admin accepts what a call found (a new phone, closed, a service not offered).

A correction is one more layer over the sources' union (scrapers/facility_writer.py applies
it on every rebuild), so a re-import cannot undo it. It records what the sources said when it
was accepted; when a later import says something else for that field, the correction stops
applying and goes back to the review queue, since the source may now be right.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select
from sqlmodel import Session, col

from locator.errors import N_, BadQueryError
from locator.facilities.taxonomy import joined_codes, service_bits
from locator.models import Facility, FacilityCorrection, FacilityService, ProblemReport
from locator.text import clean

FIELDS: dict[str, str] = {
    "phone": N_("new phone number"),
    "closed": N_("closed"),
    "service": N_("service not offered"),
}
LISTED, NOT_LISTED = "listed", "not listed"


@dataclass(frozen=True, slots=True)
class SourceSays:
    """What the sources' union says of the fields a correction can override."""

    phone: str
    codes: frozenset[str]

    def value_of(self, field: str, value: str) -> str:
        if field == "phone":
            return self.phone
        if field == "service":
            return LISTED if value in self.codes else NOT_LISTED
        return LISTED  # closed: the sources still list the site


@dataclass(frozen=True, slots=True)
class Corrected:
    """The overrides that apply to one facility after a rebuild."""

    phone: str | None = None
    closed: bool = False
    removed_codes: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    to_review: tuple[int, ...] = ()


def check_correction(
    field: str, value: str, called_on: str, codes: frozenset[str]
) -> tuple[str, str, date]:
    """Check the accept form.

    Raises:
        BadQueryError: with a sentence saying what to fix.
    """
    if field not in FIELDS:
        raise BadQueryError(N_("Choose what to correct from the list."), field="field")
    value = clean(value)[:200]
    if field == "phone" and sum(ch.isdigit() for ch in value) < 10:
        raise BadQueryError(N_("Enter the new phone number with its area code."), field="value")
    if field == "service" and value not in codes:
        raise BadQueryError(
            N_("Enter the code of a service this facility lists, like DT."), field="value"
        )
    if field == "closed":
        value = ""
    try:
        day = date.fromisoformat(called_on.strip())
    except ValueError:
        raise BadQueryError(
            N_("Enter the date of the call, like 2026-11-30."), field="called_on"
        ) from None
    return field, value, day


def note_of(correction: FacilityCorrection) -> str:
    """Return the correction's own source line, e.g. 'Phone corrected after a call on …'."""
    day = correction.called_on.isoformat()
    if correction.field == "phone":
        return f"Phone corrected after a call on {day}"
    if correction.field == "closed":
        return f"Closed (corrected after a call on {day})"
    return f"Service {correction.value} not offered (corrected after a call on {day})"


def active_corrections(
    *, session: Session, facility_ids: Iterable[int], status: str = "active"
) -> dict[int, list[FacilityCorrection]]:
    """Return each facility's corrections in ``status``, oldest first."""
    found: dict[int, list[FacilityCorrection]] = {}
    ids = sorted(set(facility_ids))
    if not ids:
        return found
    query = (
        select(FacilityCorrection)
        .where(
            col(FacilityCorrection.facility_id).in_(ids), col(FacilityCorrection.status) == status
        )
        .order_by(col(FacilityCorrection.id))
    )
    for row in session.scalars(query):
        found.setdefault(row.facility_id, []).append(row)
    return found


def overrides(corrections: Iterable[FacilityCorrection], says: SourceSays) -> Corrected:
    """Return what the corrections change while the sources still say what they said.

    A correction whose field the sources changed since it was accepted is listed in
    ``to_review`` and not applied.
    """
    phone: str | None = None
    closed = False
    removed: set[str] = set()
    notes: list[str] = []
    review: list[int] = []
    for c in corrections:
        if says.value_of(c.field, c.value) != c.source_value:
            assert c.id is not None
            review.append(c.id)
            continue
        if c.field == "phone":
            phone = c.value
        elif c.field == "closed":
            closed = True
        else:
            removed.add(c.value)
        notes.append(note_of(c))
    return Corrected(phone, closed, frozenset(removed), tuple(notes), tuple(review))


def with_notes(source_note: str, notes: Iterable[str]) -> str:
    """Return the provenance line with each applied correction's own source after it."""
    extra = "; ".join(notes)
    if not extra:
        return source_note
    return f"{source_note.rstrip('.')}; {extra}." if source_note else f"{extra}."


def accept(
    *,
    session: Session,
    facility: Facility,
    field: str,
    value: str,
    called_on: date,
    username: str,
    report: ProblemReport | None = None,
) -> FacilityCorrection:
    """Store a correction and apply it to the facility now (the caller commits).

    The next import's rebuild applies it again from the table.
    """
    assert facility.id is not None
    codes = frozenset(
        session.scalars(
            select(col(FacilityService.code)).where(col(FacilityService.facility_id) == facility.id)
        )
    )
    says = SourceSays(facility.phone, codes)
    correction = FacilityCorrection(
        facility_id=facility.id,
        field=field,
        value=value,
        source_value=says.value_of(field, value),
        called_on=called_on,
        accepted_by=username,
        report_id=report.id if report else None,
    )
    session.add(correction)
    _apply_now(session, facility, correction, codes)
    if report is not None:
        report.status = "reviewed"
        session.add(report)
    return correction


def _apply_now(
    session: Session, facility: Facility, correction: FacilityCorrection, codes: frozenset[str]
) -> None:
    if correction.field == "phone":
        facility.phone = correction.value
    elif correction.field == "closed":
        facility.active = False
    else:
        session.execute(
            delete(FacilityService).where(
                col(FacilityService.facility_id) == facility.id,
                col(FacilityService.code) == correction.value,
            )
        )
        types = frozenset(t for t in facility.facility_types.split(",") if t)
        kept = codes - {correction.value}
        facility.service_bits_lo, facility.service_bits_hi = service_bits(kept, types)
        facility.service_codes = joined_codes(kept)
    facility.source_note = with_notes(facility.source_note, [note_of(correction)])
    session.add(facility)


def set_status(*, session: Session, correction: FacilityCorrection, status: str) -> None:
    """Re-accept (``active``, against what the sources say now) or withdraw a correction.

    Re-accepting takes the sources' current value as the new baseline; the next import's
    rebuild applies it. Withdrawing leaves the facility to the sources from the next rebuild.
    """
    if status not in ("active", "withdrawn"):
        raise BadQueryError(N_("Choose to keep or withdraw the correction."), field="status")
    correction.status = status
    if status == "active":
        facility = session.get(Facility, correction.facility_id)
        assert facility is not None
        codes = frozenset(
            session.scalars(
                select(col(FacilityService.code)).where(
                    col(FacilityService.facility_id) == facility.id
                )
            )
        )
        correction.source_value = SourceSays(facility.phone, codes).value_of(
            correction.field, correction.value
        )
        _apply_now(session, facility, correction, codes)
    session.add(correction)


def review_queue(*, session: Session) -> list[FacilityCorrection]:
    """Return the corrections a changed source sent back for review."""
    query = select(FacilityCorrection).where(col(FacilityCorrection.status) == "review")
    return list(session.scalars(query.order_by(col(FacilityCorrection.id))))
