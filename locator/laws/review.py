"""Reviewing kratom-law change proposals: a person accepts (with the new values) or rejects.

Accepting a proposal tied to a state applies the reviewer's field changes, sets the row's
verified date to the review date and writes a LawHistory row holding the row before and after,
so every published change can be traced to a proposal, a reviewer's note and a date. A
Federal Register proposal, once accepted, becomes a FederalAction shown on every state page.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from locator.errors import N_, LocatorError, NotFoundError
from locator.laws.status import FEDERAL_STATUSES, get_law, law_fields
from locator.models import FederalAction, LawChangeProposal, LawHistory, StateLaw, utcnow
from locator.places.law_filter import LawStatus

DATE_FIELDS = ("enacted_on", "effective_on", "expires_on")
TEXT_FIELDS = ("law_name", "citation", "notes")
EDITABLE = ("status", "minimum_age", "confidence", "unconfirmed", *DATE_FIELDS, *TEXT_FIELDS)
# A reviewed research change (data/laws/reviews.json) may also replace these JSON fields.
REVIEWABLE = (*EDITABLE, "sources", "seven_oh_rule", "covers", "pending_bills")


HISTORY_FIELDS = {
    "status": N_("status"),
    "law_name": N_("law"),
    "citation": N_("citation"),
    "enacted_on": N_("enacted"),
    "effective_on": N_("in effect since"),
    "expires_on": N_("expires"),
    "minimum_age": N_("minimum age"),
    "covers": N_("what it covers"),
    "seven_oh_rule": N_("7-OH rule"),
    "pending_bills": N_("pending bills"),
    "sources": N_("sources"),
    "verified_on": N_("verified"),
    "confidence": N_("confidence"),
    "unconfirmed": N_("unconfirmed"),
    "notes": N_("notes"),
}


class ReviewError(LocatorError):
    """A review command that cannot be carried out; the message says why."""


def list_proposals(*, session: Session, status: str | None = "pending") -> list[LawChangeProposal]:
    """Return proposals, oldest first; ``status`` None lists every one."""
    query = select(LawChangeProposal).order_by(col(LawChangeProposal.id))
    if status is not None:
        query = query.where(col(LawChangeProposal.status) == status)
    return list(session.scalars(query))


def get_proposal(*, session: Session, proposal_id: int) -> LawChangeProposal:
    """Return one proposal.

    Raises:
        NotFoundError: no proposal has that id.
    """
    proposal = session.get(LawChangeProposal, proposal_id)
    if proposal is None:
        raise NotFoundError(f"There is no law change proposal {proposal_id}.")
    return proposal


def parse_changes(pairs: Iterable[str]) -> dict[str, Any]:
    """Read ``field=value`` pairs into checked values (an empty value clears a field).

    Raises:
        ReviewError: an unknown field or a value of the wrong kind.
    """
    changes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name, raw = name.strip(), raw.strip()
        if not sep or name not in EDITABLE:
            raise ReviewError(
                f"“{pair}” is not FIELD=VALUE with FIELD one of {', '.join(EDITABLE)}."
            )
        changes[name] = _value(name, raw)
    return changes


def _value(name: str, raw: str) -> Any:
    if name in DATE_FIELDS:
        return _date(name, raw)
    if name == "status":
        if raw not in {s.value for s in LawStatus}:
            raise ReviewError(f"status must be one of {', '.join(s.value for s in LawStatus)}.")
        return raw
    if name == "minimum_age":
        if raw and not raw.isdigit():
            raise ReviewError("minimum_age must be a whole number, or empty for none.")
        return int(raw) if raw else None
    if name == "confidence":
        if raw not in ("H", "M", "L"):
            raise ReviewError("confidence must be H, M or L.")
        return raw
    if name == "unconfirmed":
        if raw.lower() not in ("true", "false"):
            raise ReviewError("unconfirmed must be true or false.")
        return raw.lower() == "true"
    return raw


def _date(name: str, raw: str) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ReviewError(f"{name} must be a date like 2026-08-28, not “{raw}”.") from None


def accept(
    *,
    session: Session,
    proposal_id: int,
    changes: dict[str, Any],
    reviewed_on: date,
    state: str | None = None,
    note: str = "",
    federal_status: str | None = None,
    reviewed_at: datetime | None = None,
    commit: bool = True,
) -> LawHistory | None:
    """Accept a proposal: apply ``changes`` to its state (or ``state``) and record history.

    A Federal Register proposal becomes a FederalAction; ``federal_status`` (e.g. in_effect
    once a final order's effective date is confirmed) replaces the status it was found with.
    ``reviewed_at`` dates a review made earlier (a shipped research review) instead of now;
    ``commit`` False leaves the transaction to the caller (a seed applying many at once).

    Returns:
        The history row written, or None when no state row was touched.

    Raises:
        ReviewError: the proposal was already reviewed, or changes name no state.
    """
    proposal = _pending(session, proposal_id)
    action = proposal.proposed.get("federal_action")
    if federal_status is not None:
        if not action:
            raise ReviewError("--federal-status only applies to a Federal Register proposal.")
        if federal_status not in FEDERAL_STATUSES:
            raise ReviewError(f"federal status must be one of {', '.join(FEDERAL_STATUSES)}.")
        action = {**action, "status": federal_status}
    target = (state or proposal.state or "").upper()
    if changes and not target:
        raise ReviewError("This proposal is not tied to a state: add --state XX to apply changes.")
    history = None
    if target:
        law = get_law(session=session, code=target)
        history = apply_changes(
            session=session, law=law, changes=changes, reviewed_on=reviewed_on, note=note
        )
        history.proposal_id = proposal.id
        if reviewed_at is not None:
            history.changed_at = reviewed_at
    if action and session.get(FederalAction, action["key"]) is None:
        session.add(_federal_action(action))
    _close(proposal, "accepted", note)
    if reviewed_at is not None:
        proposal.reviewed_at = reviewed_at
    if commit:
        session.commit()
    return history


def apply_changes(
    *, session: Session, law: StateLaw, changes: dict[str, Any], reviewed_on: date, note: str
) -> LawHistory:
    """Change a law row after review: set fields, bump the verified date, keep the history."""
    before = law_fields(law)
    for name, value in changes.items():
        setattr(law, name, value)
    law.verified_on = reviewed_on
    history = LawHistory(state=law.state, before=before, after=law_fields(law), note=note)
    session.add(law)
    session.add(history)
    return history


def reject(*, session: Session, proposal_id: int, note: str = "") -> LawChangeProposal:
    """Reject a proposal; the law row stays exactly as it was."""
    proposal = _pending(session, proposal_id)
    _close(proposal, "rejected", note)
    session.commit()
    return proposal


def _pending(session: Session, proposal_id: int) -> LawChangeProposal:
    proposal = get_proposal(session=session, proposal_id=proposal_id)
    if proposal.status != "pending":
        raise ReviewError(f"Proposal {proposal_id} was already {proposal.status}.")
    return proposal


def _close(proposal: LawChangeProposal, status: str, note: str) -> None:
    proposal.status = status
    proposal.reviewed_at = utcnow()
    proposal.review_note = note


def _federal_action(action: dict[str, Any]) -> FederalAction:
    return FederalAction(
        key=action["key"],
        agency=action["agency"][:40],
        action=action["action"][:500],
        acted_on=date.fromisoformat(action["date"]),
        status=action["status"],
        citation=action["citation"],
        url=action["url"],
        summary=action["summary"],
    )


def history_changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, str]]:
    """Return (field, before, after) for each field a reviewed change touched, listed briefly.

    Lists are counted and a 7-OH rule shows its rule word, so a page shows what changed
    without printing whole source lists.
    """
    changed = []
    for key, new in after.items():
        if key in before and before[key] != new:
            changed.append((key, _brief(key, before[key]), _brief(key, new)))
    return changed


def _brief(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return N_("yes") if value else N_("no")
    if key == "seven_oh_rule":
        return str(value.get("rule", "—"))
    if isinstance(value, list):
        return str(len(value))
    return str(value)
