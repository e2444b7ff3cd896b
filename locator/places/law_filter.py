"""The kratom-law statuses a search may filter by, and the SQL condition that keeps them.

Searches of facilities and of meetings both filter by the state's law status ("only in states
where kratom is..."), so the vocabulary lives with the places rather than in the law domain,
which the search domains may not import; ``locator.laws`` builds its plain words on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from locator.errors import N_, BadQueryError


class LawStatus(StrEnum):
    """The kratom status of a state or territory."""

    BANNED = "banned"
    TEMPORARY_BAN = "temporary_ban"
    REGULATED_KCPA = "regulated_kcpa"
    RESTRICTED = "restricted"
    AGE_LIMIT_ONLY = "age_limit_only"
    UNREGULATED = "unregulated"
    UNKNOWN = "unknown"


def parse_statuses(values: Iterable[str]) -> tuple[LawStatus, ...]:
    """Read law-status filter values.

    Raises:
        BadQueryError: a value is not a status, with the list of those that are.
    """
    chosen: list[LawStatus] = []
    for raw in values:
        text = raw.strip().lower()
        try:
            chosen.append(LawStatus(text))
        except ValueError:
            allowed = ", ".join(s.value for s in LawStatus)
            raise BadQueryError(
                N_("“%(value)s” is not a kratom-law status; use one of %(allowed)s."),
                field="law",
                value=raw[:30],
                allowed=allowed,
            ) from None
    return tuple(dict.fromkeys(chosen))


def status_condition(statuses: tuple[LawStatus, ...], column: str = "t.state") -> str:
    """Return an SQL condition keeping rows whose state has one of ``statuses``.

    The statuses are enum members, so the literal list never holds request text; the
    subquery reads ix_state_law_status and the outer test is an IN on the state code.
    """
    listed = ", ".join(f"'{LawStatus(s).value}'" for s in statuses)
    subquery = f"SELECT l.state FROM state_law l WHERE l.status IN ({listed})"  # noqa: S608
    return f"{column} IN ({subquery})"
