"""The /laws table: the columns it sorts by and the sort itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from locator.errors import N_, BadQueryError
from locator.models import StateLaw
from locator.places.law_filter import LawStatus
from locator.places.states import state_name

STATUS_ORDER = {status.value: n for n, status in enumerate(LawStatus)}
CONFIDENCE_ORDER = {"H": 0, "M": 1, "L": 2}  # then rows with none


@dataclass(frozen=True, slots=True)
class SortKey:
    """A column the table sorts by: its heading and how to read the key from a row."""

    label: str
    key: Callable[[StateLaw], Any]


SORTS: dict[str, SortKey] = {
    "state": SortKey("State", lambda law: state_name(law.state)),
    "status": SortKey("Status", lambda law: (STATUS_ORDER[law.status], state_name(law.state))),
    "age": SortKey("Minimum age", lambda law: (law.minimum_age or 0, state_name(law.state))),
    "effective": SortKey("In effect since", lambda law: (law.effective_on or date.min,)),
    "verified": SortKey("Last verified", lambda law: (law.verified_on or date.min,)),
    "confidence": SortKey(
        "Confidence", lambda law: (CONFIDENCE_ORDER.get(law.confidence, 3), state_name(law.state))
    ),
}


def sorted_laws(laws: list[StateLaw], sort: str, direction: str) -> list[StateLaw]:
    """Sort the table rows by a column name from SORTS.

    Raises:
        BadQueryError: an unknown column or direction, with the ones accepted.
    """
    if sort not in SORTS:
        raise BadQueryError(
            N_("“%(value)s” is not a column to sort by; use one of %(allowed)s."),
            field="sort",
            value=sort[:20],
            allowed=", ".join(SORTS),
        )
    if direction not in ("asc", "desc"):
        raise BadQueryError(N_("Sort direction must be asc or desc."), field="dir")
    return sorted(laws, key=SORTS[sort].key, reverse=direction == "desc")
