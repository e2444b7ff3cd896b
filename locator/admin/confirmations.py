"""Phone confirmations: a coordinator called a facility; the listing says what they heard.

The latest call is shown everywhere a facility is (results, its page, the API, every export)
as its date, outcome and the services confirmed, never with who called. Calls that found a
problem (number disconnected, closed, a service not offered) also go to the review queue as a
problem report, where an admin may accept a correction (locator/admin/corrections.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlmodel import Session, col

from locator.db import driver_rows
from locator.errors import N_, BadQueryError
from locator.models import Facility, PhoneConfirmation, ProblemReport
from locator.places.spatial import driver_sql, in_list

MAX_NOTE = 500
MAX_WAIT_DAYS = 365
RECENT_DAYS = 90

# What a call can find, in the form's order; the words are shown translated.
OUTCOMES: dict[str, str] = {
    "accepting": N_("accepting new patients"),
    "wait_list": N_("wait list"),
    "no_answer": N_("no answer"),
    "disconnected": N_("number disconnected or wrong"),
    "closed": N_("closed"),
    "service_not_offered": N_("does not offer a listed service"),
}
# Outcomes that mean the listing may be wrong: each one opens a problem report for review.
PROBLEM_OF_OUTCOME = {
    "disconnected": "phone",
    "closed": "closed",
    "service_not_offered": "services",
}


@dataclass(frozen=True, slots=True)
class CallRecord:
    """What a coordinator typed into the form, checked."""

    called_on: date
    outcome: str
    wait_days: int | None
    confirmed: tuple[str, ...]
    note: str


@dataclass(frozen=True, slots=True)
class LastConfirmation:
    """The latest call to a facility, as the public sees it (no caller name)."""

    called_on: date
    outcome: str
    wait_days: int | None
    confirmed: tuple[str, ...]

    def age_days(self, today: date) -> int:
        return max(0, (today - self.called_on).days)

    def as_json(self) -> dict[str, Any]:
        return {
            "date": self.called_on.isoformat(),
            "outcome": self.outcome,
            "wait_days": self.wait_days,
            "services_confirmed": list(self.confirmed),
        }


def check_call(
    *,
    called_on: str,
    outcome: str,
    wait_days: str,
    confirmed: Sequence[str],
    note: str,
    known_codes: Iterable[str],
    today: date,
) -> CallRecord:
    """Check the call form.

    Raises:
        BadQueryError: with a sentence saying what to fix.
    """
    try:
        day = date.fromisoformat(called_on.strip())
    except ValueError:
        raise BadQueryError(
            N_("Enter the date of the call, like %(example)s."),
            field="called_on",
            example=today.isoformat(),
        ) from None
    if day > today or day < today - timedelta(days=MAX_WAIT_DAYS):
        raise BadQueryError(
            N_("The date of the call must be within the last year, not in the future."),
            field="called_on",
        )
    if outcome not in OUTCOMES:
        raise BadQueryError(N_("Choose what you heard on the call from the list."), field="outcome")
    wait = _wait_days(wait_days) if outcome == "wait_list" else None
    codes = set(known_codes)
    chosen = tuple(dict.fromkeys(c for c in confirmed if c))
    if any(c not in codes for c in chosen):
        raise BadQueryError(N_("Confirm only services this facility lists."), field="confirmed")
    cleaned = note.strip()
    if len(cleaned) > MAX_NOTE:
        raise BadQueryError(
            N_("Please keep the note under %(most)d characters."), field="note", most=MAX_NOTE
        )
    return CallRecord(day, outcome, wait, chosen, cleaned)


def _wait_days(raw: str) -> int | None:
    raw = raw.strip()
    if not raw:
        return None
    if not raw.isdigit() or int(raw) > MAX_WAIT_DAYS:
        raise BadQueryError(
            N_("The wait is a number of days from 0 to %(most)d."),
            field="wait_days",
            most=MAX_WAIT_DAYS,
        )
    return int(raw)


def record_call(
    *, session: Session, facility: Facility, call: CallRecord, username: str
) -> PhoneConfirmation:
    """Store a call, and a problem report when it found the listing wrong (caller commits)."""
    assert facility.id is not None
    row = PhoneConfirmation(
        facility_id=facility.id,
        called_on=call.called_on,
        outcome=call.outcome,
        wait_days=call.wait_days,
        confirmed=list(call.confirmed),
        note=call.note,
        username=username,
    )
    session.add(row)
    problem = PROBLEM_OF_OUTCOME.get(call.outcome)
    if problem:
        session.add(
            ProblemReport(
                kind="facility",
                listing_id=facility.id,
                listing_source=facility.source,
                listing_key=facility.source_key,
                listing_name=facility.name,
                problem=problem,
                text=f"Phone call on {call.called_on.isoformat()}: {call.outcome}. {call.note}",
                sender=f"coordinator:{username}"[:64],
            )
        )
    return row


def latest_for(*, session: Session, ids: Iterable[int]) -> dict[int, LastConfirmation]:
    """Return each facility's latest call (by call date, then entry), for these ids."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    # On the driver's cursor, a prepared statement per id count: every results page and API
    # answer asks, and SQLAlchemy's select() and result rows (even as columns, not entities)
    # cost a quarter of an API search (bench/request_profile.py).
    connection = session.connection()
    marks, values = in_list("i", wanted)
    sql = _latest_sql(connection.dialect.name, marks)
    found: dict[int, LastConfirmation] = {}
    for facility_id, called_on, outcome, wait_days, confirmed in driver_rows(
        connection, sql, values
    ):
        if isinstance(called_on, str):  # SQLite gives dates and JSON back as text
            called_on, confirmed = date.fromisoformat(called_on), json.loads(confirmed)
        found[facility_id] = LastConfirmation(called_on, outcome, wait_days, tuple(confirmed))
    return found


def latest_read(listings: Mapping[int, Any]) -> dict[int, LastConfirmation]:
    """Return the latest calls a search read beside its hits (``SearchPage.listings``: each
    listing's ``last_call``), as :func:`latest_for` gives them: only facilities with a call."""
    found = {}
    for facility_id, listing in listings.items():
        call = call_of(listing.last_call)
        if call is not None:
            found[facility_id] = call
    return found


def call_of(value: Any) -> LastConfirmation | None:
    """Read a latest call as the search statement gives it (facilities.search.listing_columns):
    a JSON array of date, outcome, wait and services confirmed, or None without a call."""
    if value is None:
        return None
    if isinstance(value, str):  # SQLite gives JSON back as text
        value = json.loads(value)
    called_on, outcome, wait_days, confirmed = value
    return LastConfirmation(date.fromisoformat(called_on), outcome, wait_days, tuple(confirmed))


@lru_cache(maxsize=64)
def _latest_sql(dialect: str, marks: str) -> str:
    where = f"WHERE facility_id IN ({marks}) ORDER BY called_on, id"
    columns = "facility_id, called_on, outcome, wait_days, confirmed"
    return driver_sql(dialect, f"SELECT {columns} FROM phone_confirmation {where}")  # noqa: S608


def history(*, session: Session, facility_id: int) -> list[PhoneConfirmation]:
    """Return every call to a facility, newest first."""
    query = (
        select(PhoneConfirmation)
        .where(col(PhoneConfirmation.facility_id) == facility_id)
        .order_by(col(PhoneConfirmation.called_on).desc(), col(PhoneConfirmation.id).desc())
    )
    return list(session.scalars(query))


def confirmed_count(*, session: Session, since: date) -> int:
    """Count the facilities called since ``since`` (the health page and tests read it)."""
    query = select(func.count(func.distinct(PhoneConfirmation.facility_id))).where(
        col(PhoneConfirmation.called_on) >= since
    )
    return session.scalar(query) or 0


Hit = TypeVar("Hit")


def recently_confirmed_first(
    hits: list[Hit], latest: dict[int, LastConfirmation], today: date
) -> list[Hit]:
    """Put facilities confirmed in the last RECENT_DAYS first among those at equal distance.

    Only ties move: the order by distance (to the hundredth shown) is kept.
    """
    since = today - timedelta(days=RECENT_DAYS)
    if not latest:  # no calls: the order by distance shown alone, as below, more cheaply
        return sorted(hits, key=_shown_distance)

    def key(hit: Any) -> tuple[float, int]:
        found = latest.get(hit.id)
        recent = found is not None and found.called_on >= since
        return (_shown_distance(hit), 0 if recent else 1)

    return sorted(hits, key=key)


def _shown_distance(hit: Any) -> float:
    distance = hit.distance
    return float("inf") if distance is None else round(distance, 2)
