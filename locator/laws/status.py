"""State kratom law: what each status means, the lookup, and the rules a page must follow.

``StateLaw.status`` describes kratom itself (the leaf and its natural alkaloids). A 7-OH rule
is kept apart (``seven_oh_rule``): a state that bans 7-OH but not the leaf is never shown as
"banned". A temporary ban whose expiry date has passed is flagged as expired and awaiting
review instead of being shown as in force. Every row carries its sources, the date a person
last verified it and a confidence; rows the research marks unconfirmed say so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from locator.db import driver_rows
from locator.errors import N_, NotFoundError
from locator.laws.confidence import CONFIDENCE_WORDS
from locator.models import FederalAction, LawHistory, LocalRestriction, StateLaw
from locator.places.law_filter import LawStatus
from locator.places.spatial import driver_sql, in_list
from locator.places.states import all_states, state_name
from locator.text import fold_place


@dataclass(frozen=True, slots=True)
class StatusInfo:
    """How a status is shown: a short label, a badge word and a plain-words meaning."""

    label: str
    badge: str
    meaning: str


STATUS_INFO: dict[LawStatus, StatusInfo] = {
    LawStatus.BANNED: StatusInfo(
        "Banned",
        "BANNED",
        "Kratom (the leaf and its alkaloids) is banned statewide by statute or rule: it cannot "
        "be sold legally at any age.",
    ),
    LawStatus.TEMPORARY_BAN: StatusInfo(
        "Temporary ban",
        "TEMP BAN",
        "Kratom is banned by an emergency or executive order that has, or may have, an end "
        "date: while the order is in force, it cannot be sold legally at any age.",
    ),
    LawStatus.REGULATED_KCPA: StatusInfo(
        "Regulated (KCPA)",
        "REGULATED",
        "Kratom is legal for adults under a Kratom Consumer Protection Act-style law: a "
        "minimum age plus product standards and labelling, often registration.",
    ),
    LawStatus.RESTRICTED: StatusInfo(
        "Restricted",
        "RESTRICTED",
        "Some kratom products are banned, or a state agency enforces against them, without a "
        "statewide ban of the leaf.",
    ),
    LawStatus.AGE_LIMIT_ONLY: StatusInfo(
        "Age limit only",
        "AGE LIMIT",
        "State law sets a minimum purchase age and little else.",
    ),
    LawStatus.UNREGULATED: StatusInfo(
        "No state law",
        "NO STATE LAW",
        "No statewide kratom-specific law was found. Cities or counties may still ban it.",
    ),
    LawStatus.UNKNOWN: StatusInfo(
        "Unknown",
        "UNKNOWN",
        "The status is not known: sources conflict or nothing reliable was found.",
    ),
}

CONFIDENCE = CONFIDENCE_WORDS
COVERS = {
    "leaf": "kratom leaf",
    "extracts": "extracts and concentrates",
    "synthetics": "synthetic and semi-synthetic alkaloids",
}
SEVEN_OH_RULES = {
    "covered_by_ban": "7-OH is covered by the statewide kratom ban.",
    "banned": "7-OH (or synthetic/concentrated 7-OH) is banned or scheduled by its own rule.",
    "limited": "7-OH is allowed only below a concentration limit.",
    "none": "No statewide 7-OH rule was found.",
    "unknown": "Not known.",
}
LOCAL_KINDS = {
    "ban": "ban",
    "age_limit": "age limit",
    "seven_oh_limit": "7-OH or synthetic limit",
    "product_ban": "product-form ban",
    "regulation": "regulation",
    "pending": "proposed or pending",
    "litigation": "lawsuit",
}
FEDERAL_STATUSES = (
    "withdrawn",
    "recommended",
    "announced",
    "proposed",
    "pending",
    "in_effect",
    "expired",
    "published",
)


class UnknownStateError(NotFoundError):
    """A state code that is not a US state, DC or territory."""


def is_expired(law: StateLaw, today: date) -> bool:
    """Tell whether a temporary ban's expiry date has passed (then it needs review)."""
    return (
        law.status == LawStatus.TEMPORARY_BAN
        and law.expires_on is not None
        and law.expires_on < today
    )


def status_label(law: StateLaw, today: date) -> str:
    """Return the status in a few words, flagging an expired temporary ban."""
    info = STATUS_INFO[LawStatus(law.status)]
    if is_expired(law, today):
        assert law.expires_on is not None
        return f"Temporary ban expired {law.expires_on.isoformat()} (awaiting review)"
    if law.unconfirmed:
        return f"{info.label} (unconfirmed)"
    return info.label


BANS = frozenset({LawStatus.BANNED, LawStatus.TEMPORARY_BAN})
AGE_WORDS = {
    "banned": N_("None: kratom cannot be sold legally at any age"),
    "none": N_("no minimum age in state law"),
}
NO_DATE = N_("not given in the sources found")


def age_rule(law: StateLaw, today: date) -> str:
    """Say how a row's minimum age reads: "banned" (no age can buy), "none", or "age"."""
    if law.status in BANS and not is_expired(law, today):
        return "banned"
    return "age" if law.minimum_age else "none"


def seven_oh_note(law: StateLaw) -> str:
    """Return the 7-OH note when it adds to the rule's own sentence (one line per rule)."""
    rule = law.seven_oh_rule
    note = str(rule.get("note", "")).strip()
    generic = SEVEN_OH_RULES.get(str(rule.get("rule", "")), "")
    return "" if note.rstrip(".") == generic.rstrip(".") else note


def badge(status: str) -> str:
    """Return the badge word of a status (text, so it never relies on colour)."""
    try:
        return STATUS_INFO[LawStatus(status)].badge
    except ValueError:
        return STATUS_INFO[LawStatus.UNKNOWN].badge


def meaning(status: str) -> str:
    """Return what a status means, in plain words."""
    return STATUS_INFO[LawStatus(status)].meaning


def get_law(*, session: Session, code: str) -> StateLaw:
    """Return the law row of a state by its two-letter code (any case).

    Raises:
        UnknownStateError: the code is not a state or territory, or has no row.
    """
    wanted = code.strip().upper()
    law = session.get(StateLaw, wanted) if len(wanted) == 2 and wanted.isalpha() else None
    if law is None:
        raise UnknownStateError(
            f"“{code[:10]}” is not a state code we know; use a two-letter code such as VA or PR."
        )
    return law


def all_laws(*, session: Session) -> list[StateLaw]:
    """Return every law row in the order of data/states.csv."""
    order = {s.code: n for n, s in enumerate(all_states())}
    rows = list(session.scalars(select(StateLaw)))
    return sorted(rows, key=lambda law: order.get(law.state, len(order)))


def statuses_by_state(*, session: Session) -> dict[str, str]:
    """Return state code -> status for every row (for result badges).

    Read on the driver's cursor: every results page asks, and the ORM round was a tenth of
    the page (bench/pages.py).
    """
    rows = driver_rows(session.connection(), "SELECT state, status FROM state_law")
    return {state: status for state, status in rows}


def local_restrictions(*, session: Session, state: str) -> list[LocalRestriction]:
    """Return the city and county rules of one state, ordered by county, then place."""
    found = session.scalars(
        select(LocalRestriction)
        .where(col(LocalRestriction.state) == state)
        .order_by(col(LocalRestriction.county), col(LocalRestriction.place))
    )
    return list(found)


@dataclass(frozen=True, slots=True)
class LocalRule:
    """A city or county kratom rule as a listing's law badge shows it."""

    state: str
    place: str
    county: str
    kind: str
    source_url: str
    unconfirmed: bool


LocalIndex = dict[tuple[str, str], list[LocalRule]]


def local_index(*, session: Session, states: Iterable[str] | None = None) -> LocalIndex:
    """Index every city and county rule (of ``states`` only, if given) by (state, folded
    place or county name).

    The rows are read on every call (so a change shows at once), but the index is rebuilt
    only when they differ from the last ones seen: every results page asks for it, and
    loading ~90 rules through the ORM cost more than the page's search. A results page asks
    only for the states of its listings (a rule is looked up by its state).
    """
    sql = "SELECT state, place, county, kind, source_url, unconfirmed FROM local_restriction"
    connection = session.connection()
    if states is None:
        return _indexed(tuple(driver_rows(connection, f"{sql} ORDER BY id")))
    wanted = sorted(set(states))
    if not wanted:
        return {}
    marks, values = in_list("s", wanted)
    where = driver_sql(connection.dialect.name, f"{sql} WHERE state IN ({marks}) ORDER BY id")
    return _indexed(tuple(driver_rows(connection, where, values)))


@lru_cache(maxsize=64)
def _indexed(rows: tuple[tuple[Any, ...], ...]) -> LocalIndex:
    index: LocalIndex = {}
    for state, place, county, kind, source_url, unconfirmed in rows:
        rule = LocalRule(state, place, county, kind, source_url, bool(unconfirmed))
        for name in (place, _county_name(county)):
            if name:
                index.setdefault((state, fold_place(name)), []).append(rule)
    return index


def local_rules_for(index: LocalIndex, state: str, city: str, county: str = "") -> list[LocalRule]:
    """Return the known rules of a listing's city or county (a place's own rules first)."""
    found: list[LocalRule] = []
    for name in (city, _county_name(county)):
        for rule in index.get((state, fold_place(name)), []) if name else []:
            if rule not in found:
                found.append(rule)
    return found


def _county_name(county: str) -> str:
    words = county.split()
    if words and words[-1].lower() in ("county", "parish"):
        words = words[:-1]
    return " ".join(words)


def federal_actions(*, session: Session) -> list[FederalAction]:
    """Return the federal actions, newest first."""
    found = session.scalars(
        select(FederalAction).order_by(col(FederalAction.acted_on).desc(), col(FederalAction.key))
    )
    return list(found)


def federal_overlay(actions: list[FederalAction], today: date) -> tuple[str, dict[str, str]]:
    """Say where federal 7-OH scheduling stands: in effect, proposed, or none.

    Returns a message template and its values, so a page translates the sentence and fills
    in the action's own (English) title and citation.
    """
    dea = [a for a in actions if a.agency == "DEA" and a.acted_on <= today]
    in_effect = [a for a in dea if a.status == "in_effect"]
    if in_effect:
        first = in_effect[0]
        return N_("In effect: %(action)s (since %(date)s)."), {
            "action": first.action,
            "date": first.acted_on.isoformat(),
        }
    proposed = [a for a in dea if a.status == "proposed"]
    if proposed:
        latest = proposed[0]
        return N_(
            "Proposed, not in effect on our records: %(action)s (%(citation)s, %(date)s). "
            "Natural leaf below the threshold is outside the federal action."
        ), {
            "action": latest.action,
            "citation": latest.citation,
            "date": latest.acted_on.isoformat(),
        }
    return N_("None: no federal scheduling of kratom or 7-OH is on our records."), {}


def upcoming(law: StateLaw, today: date) -> list[str]:
    """Return sentences about dates still ahead: a law taking effect, an order expiring."""
    notes = []
    if law.effective_on and law.effective_on > today:
        notes.append(f"Takes effect on {law.effective_on.isoformat()}.")
    if law.expires_on and law.expires_on >= today:
        notes.append(f"Expires on {law.expires_on.isoformat()} unless renewed or replaced.")
    return notes


def history(*, session: Session, state: str) -> list[LawHistory]:
    """Return the reviewed changes of one state's row, newest first."""
    found = session.scalars(
        select(LawHistory)
        .where(col(LawHistory.state) == state)
        .order_by(col(LawHistory.changed_at).desc())
    )
    return list(found)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def law_json(law: StateLaw, restrictions: list[LocalRestriction], today: date) -> dict[str, Any]:
    """Return the API shape of one law row (the LAW object of /api/v1/laws)."""
    return {
        "state": law.state,
        "state_name": state_name(law.state),
        "status": law.status,
        "status_label": status_label(law, today),
        "law_name": law.law_name,
        "citation": law.citation,
        "enacted_on": _iso(law.enacted_on),
        "effective_on": _iso(law.effective_on),
        "expires_on": _iso(law.expires_on),
        "minimum_age": law.minimum_age,
        "covers": list(law.covers),
        "seven_oh": dict(law.seven_oh_rule),
        "local_restrictions": [
            {"place": r.place, "county": r.county, "kind": r.kind, "source_url": r.source_url}
            for r in restrictions
        ],
        "pending_bills": list(law.pending_bills),
        "sources": [
            {"url": s["url"], "title": s.get("title", ""), "official": bool(s.get("official"))}
            for s in law.sources
        ],
        "verified_on": _iso(law.verified_on),
        "confidence": law.confidence,
        "unconfirmed": law.unconfirmed,
        "notes": law.notes,
    }


def federal_json(action: FederalAction) -> dict[str, Any]:
    """Return the API shape of one federal action (the FEDERAL object)."""
    return {
        "agency": action.agency,
        "action": action.action,
        "date": action.acted_on.isoformat(),
        "status": action.status,
        "citation": action.citation,
        "url": action.url,
        "summary": action.summary,
    }


def law_fields(law: StateLaw) -> dict[str, Any]:
    """Return a row's reviewable fields as JSON-ready values (history keeps these)."""
    fields = law.model_dump(mode="json")
    fields.pop("state", None)
    return dict(fields)
