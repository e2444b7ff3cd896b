"""The kratom-law data a page needs, read once per request: statuses, local rules, badges."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import g

from locator.facilities.search import SearchPage
from locator.laws.status import (
    LocalIndex,
    LocalRule,
    local_index,
    local_rules_for,
    statuses_by_state,
)
from locator.laws.status import badge as law_badge
from locator.web.hosts import external_url
from locator.web.session import get_session


def law_status_json(state: str, city: str = "", county: str = "") -> dict[str, Any] | None:
    """Return the kratom-law badge of a listing's state, with its known local rules, or None."""
    return law_json(state, law_statuses().get(state), city, county)


def law_json(
    state: str, status: str | None, city: str, county: str = "", *, local_rules: bool = True
) -> dict[str, Any] | None:
    """Return :func:`law_status_json` for a status already read (the search API's own rows).

    ``local_rules`` False says the state has no city or county rule: none is looked up.
    """
    if status is None:
        return None
    urls: dict[str, str] = g.setdefault("law_urls", {})  # built once per state and request
    url = urls.get(state) or urls.setdefault(state, external_url("laws_api.law", state=state))
    rules = local_law_rules(state, city, county) if local_rules else []
    local = [
        {"place": r.place, "county": r.county, "kind": r.kind, "source_url": r.source_url}
        for r in rules
    ]
    return {"status": status, "badge": law_badge(status), "url": url, "local": local}


def local_law_rules(state: str, city: str, county: str = "") -> list[LocalRule]:
    """Return the known kratom rules of a listing's city or county (index read once a request)."""
    return local_rules_for(local_law_index(), state, city, county)


def local_law_index() -> LocalIndex:
    """Return every known city and county kratom rule, indexed; read once per request."""
    if "local_law_index" not in g:
        g.local_law_index = local_index(session=get_session())
    found: LocalIndex = g.local_law_index
    return found


def local_law_index_for(states: Iterable[str]) -> LocalIndex:
    """Return the city and county kratom rules of these states, indexed; read once per request.

    A results page needs only its listings' states: a fraction of the rows.
    """
    if "local_law_index" in g:  # every rule is read already
        whole: LocalIndex = g.local_law_index
        return whole
    wanted = frozenset(states)
    read: dict[frozenset[str], LocalIndex] = g.setdefault("local_law_indexes", {})
    if wanted not in read:
        read[wanted] = local_index(session=get_session(), states=wanted)
    return read[wanted]


def law_statuses() -> dict[str, str]:
    """Return state code -> kratom-law status, read once per request (56 rows)."""
    if "law_statuses" not in g:
        g.law_statuses = statuses_by_state(session=get_session())
    found: dict[str, str] = g.law_statuses
    return found


def page_law_statuses(page: SearchPage) -> dict[str, str]:
    """Return the kratom-law status of each state on a page, read with its listings if it was.

    A page searched ``with_listing`` carries each listing's status from its own statement (one
    read fewer a results page); any other page falls back to :func:`law_statuses`.
    """
    if not page.listings:
        return law_statuses()
    return {
        hit.state: status
        for hit in page.hits
        if (status := page.listings[hit.id].law_status) is not None
    }


def page_local_law_index(page: SearchPage) -> LocalIndex:
    """Return the city and county rules of the page's states; none read where none exists.

    A page searched ``with_listing`` says for each listing whether its state has a rule, so
    a page without one reads nothing.
    """
    if not page.listings:
        return local_law_index_for(hit.state for hit in page.hits)
    return local_law_index_for(hit.state for hit in page.hits if page.listings[hit.id].local_rules)
