"""The results page's list items, written in Python rather than in a Jinja loop.

A results page shows 25 facilities, and the Jinja loop that drew them (three url_for calls,
a macro, a filter and ~30 escaped values each) was half of the page's server time: the page
took 4.8x the search call at p95 where issue 6 allows 3x (bench/pages.py). Here each row is
one f-string (:func:`_row`) whose every listing value passes through :func:`e` (escape), the
repeated words are translated once a page and the links are built from one URL per page.
The markup is the one the template had, so its tests, styles and scripts see no change.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import url_for
from flask_babel import get_locale
from markupsafe import Markup

from locator.admin.confirmations import LastConfirmation
from locator.errors import N_
from locator.facilities.search import (
    FacilityHit,
    FacilityQuery,
    SearchPage,
    nearest_beyond,
)
from locator.facilities.taxonomy import (
    CATEGORIES,
    GROUPS,
    Category,
    categories_for_bits,
    category_mask,
)
from locator.laws.status import LocalIndex, LocalRule, local_rules_for
from locator.places.geo import at_zip_centre
from locator.web.confirmations import confirmation_line
from locator.web.fragments import cached_markup
from locator.web.helpers import directions_url, format_distance, tel_href, translate_label
from locator.web.law_context import page_law_statuses, page_local_law_index

# A row id no listing has (RowIdConverter allows up to 2**31 - 1): the page builds each link
# once with it and puts every row's id in its place.
_SENTINEL = 2**31 - 1
_SENTINEL_TEXT = str(_SENTINEL)


def _mask_of(groups: tuple[str, ...]) -> tuple[int, int]:
    """Return the (lo, hi) service bits of every category in ``groups``."""
    lo = hi = 0
    for found in CATEGORIES:
        if found.group in groups:
            column, mask = category_mask(found.key)
            if column == "service_bits_lo":
                lo |= mask
            else:
                hi |= mask
    return lo, hi


_BADGE_MASK = _mask_of(("care", "medication"))  # the groups every result shows as badges

_GROUP_ORDER = {group.key: n for n, group in enumerate(GROUPS)}

# Macro(state, statuses, rules) from templates/_law_macros.html: the badge keeps one markup.
LawBadge = Callable[[str, dict[str, str], Sequence[Any]], Markup]


WIDER_RADII = (10, 25, 50, 100, 150, 200, 300, 500)  # the distances "search within" offers


@dataclass(frozen=True, slots=True)
class Beyond:
    """What a search that found nothing says: the nearest matches beyond it, if any exist.

    ``wider`` is a distance (within the largest allowed) that would find the nearest match,
    or None when no allowed distance would: then no page suggests a larger distance.
    """

    nearest: SearchPage
    wider: float | None

    @property
    def none_anywhere(self) -> bool:
        return not self.nearest.hits


def beyond_empty(
    *, session: Any, page: SearchPage, max_radius: float, with_codes: bool = False
) -> Beyond | None:
    """Return the nearest matches beyond an empty search, or None when it found something."""
    if page.total:
        return None
    query = page.query
    hits = nearest_beyond(session=session, query=query, with_codes=with_codes)
    nearest = SearchPage(query=query, hits=hits, total=len(hits))
    wider = None
    if query.radius is not None and hits and hits[0].distance is not None:
        needed = hits[0].distance
        fits = [r for r in WIDER_RADII if needed <= r <= max_radius]
        if fits:
            wider = float(fits[0])
        elif needed <= max_radius:
            wider = float(math.ceil(needed))
    return Beyond(nearest=nearest, wider=wider)


def asked_labels(query: FacilityQuery) -> list[str]:
    """Return the translated labels of every service the query asks for, in form order."""
    chosen = set(query.categories)
    found = [c for c in CATEGORIES if c.key in chosen]
    return [translate_label(c.label) for c in sorted(found, key=lambda c: _GROUP_ORDER[c.group])]


def facility_items(
    page: SearchPage,
    *,
    law_badge: LawBadge,
    law_lines: bool = True,
    confirmations: dict[int, LastConfirmation] | None = None,
) -> Markup:
    """Return the ``<li>`` of each result on the page, in order.

    ``law_badge`` draws a state's kratom-law badge: once a page per state, unless a city or
    county rule applies to the listing. With ``law_lines`` False only a listing under a city
    or county rule of its own carries a law line (the results page shows each state's status
    once, under its heading, unless the law filter is on: a child psychiatry clinic need not
    say "Kratom law in VA"). ``confirmations``: each listing's latest phone call.
    """
    if not page.hits:
        return Markup("")
    locale = str(get_locale())
    parts = _PageParts(
        words=_words(locale),
        unit=page.query.unit,
        detail=e(url_for("facilities.detail", facility_id=_SENTINEL)),
        report=e(url_for("reports.form", kind="facilities", listing_id=_SENTINEL)),
        matched="".join(
            f'<li class="matched">{e(translate_label(c.label))}</li>' for c in _asked(page.query)
        ),
        locale=locale,
        law_lines=_LawLines(
            law_badge,
            page_law_statuses(page),
            page_local_law_index(page),
            every_row=law_lines,
        ),
        confirmations=confirmations or {},
    )
    return Markup("".join(_row(hit, parts) for hit in page.hits))  # noqa: S704 - see _row


@dataclass(frozen=True, slots=True)
class _PageParts:
    """What every row of one page shares: words, escaped link patterns, matched filters."""

    words: dict[str, str]
    unit: str
    detail: str
    report: str
    matched: str
    locale: str
    law_lines: _LawLines
    confirmations: dict[int, LastConfirmation]


class _LawLines:
    """Draw a listing's law line; a state's badge once a page unless a local rule applies."""

    def __init__(
        self,
        badge: LawBadge,
        statuses: dict[str, str],
        index: LocalIndex,
        *,
        every_row: bool = True,
    ) -> None:
        self._badge, self._statuses, self._index = badge, statuses, index
        self._every_row = every_row
        self._by_state: dict[str, str] = {}
        self._ruled = {state for state, _place in index}  # states with a city or county rule

    def __call__(self, hit: FacilityHit) -> str:
        if not hit.state:
            return ""
        ruled = hit.state in self._ruled  # else no rule of its own: skip folding the city
        rules = local_rules_for(self._index, hit.state, hit.city) if ruled else []
        if rules:
            badge = str(law_badge_markup(self._badge, hit.state, self._statuses, tuple(rules)))
        elif not self._every_row:
            return ""
        else:
            if hit.state not in self._by_state:
                self._by_state[hit.state] = str(
                    law_badge_markup(self._badge, hit.state, self._statuses)
                )
            badge = self._by_state[hit.state]
        return f'<p class="law-line">{badge}</p>\n  '


def law_badge_markup(
    badge: LawBadge, state: str, statuses: dict[str, str], rules: tuple[LocalRule, ...] = ()
) -> Markup:
    """Return a state's law badge (with its local rules), drawn once per language and content.

    The key holds all the badge shows: the state, its status as read this request and each
    local rule, so a changed law draws a new badge at once.
    """
    key = (state, statuses.get(state), rules)
    return cached_markup("law-badge", key, lambda: badge(state, statuses, rules))


def law_summary(page: SearchPage, badge: LawBadge) -> Markup:
    """Return the law badge of each state on the page, in order of first listing.

    What ``hits|map(attribute='state')|reject('equalto', '')|unique`` gave in the template
    (``unique`` compares case-insensitively), each badge followed by a space.
    """
    statuses = page_law_statuses(page)
    states: dict[str, str] = {}
    for hit in page.hits:
        if hit.state != "":
            states.setdefault(hit.state.lower(), hit.state)
    return Markup(  # noqa: S704 - badges drawn by the Jinja macro, escaped there
        "".join(f"{law_badge_markup(badge, state, statuses)} " for state in states.values())
    )


def _row(hit: FacilityHit, parts: _PageParts) -> str:
    """Return one result's ``<li>``: every listing value goes through :func:`escaped`."""
    w, ident = parts.words, str(hit.id)
    name, name2, street, city, state, zip_, phone, tel, website, directions, note, distance = (
        escaped(
            hit.name,
            hit.name2,
            f"{hit.street1}, {hit.street2}" if hit.street2 else hit.street1,
            hit.city,
            hit.state,
            hit.zip,
            hit.phone,
            tel_href(hit.phone) if hit.phone else "",
            hit.website,
            directions_url(hit.street1, hit.city, hit.state, hit.zip),
            hit.source_note,
            "" if hit.distance is None else format_distance(hit.distance, parts.unit),
        )
    )
    coordinates = (
        f' data-lat="{hit.latitude}" data-lon="{hit.longitude}" data-name="{name}"'
        if hit.latitude is not None and hit.longitude is not None
        else ""
    )
    name2 = f'<span class="name2"> — {name2}</span>' if hit.name2 else ""
    call = (
        f'<a class="call" href="{tel}">{w["call"]} {phone}</a>\n    '
        if hit.phone
        else f'<span class="no-phone">{w["no_phone"]}</span>\n    '
    )
    website = (
        f'<a href="{website}" rel="noopener nofollow">{w["website"]}</a>\n    '
        if hit.website
        else ""
    )
    detail = parts.detail.replace(_SENTINEL_TEXT, ident)  # escaped once a page: ids are digits
    report = parts.report.replace(_SENTINEL_TEXT, ident)
    seen = hit.last_seen.isoformat()
    return (
        f'<li class="result" id="facility-{ident}" tabindex="-1"{coordinates}>\n'
        f'  <h3><a href="{detail}">{name}</a>{name2}</h3>\n'
        f"  {_distance(hit, distance, w)}"
        f'<p class="address">{street}<br>{city}, {state} {zip_}</p>\n'
        f"  {_confirmed(parts.confirmations.get(hit.id))}"
        f'  {parts.law_lines(hit)}<ul class="badges" aria-label="{w["services"]}">'
        f"{_badges(hit, w, parts.locale)}{parts.matched}</ul>\n"
        '  <p class="actions">\n'
        f'    {call}<a href="{directions}" rel="noopener">{w["directions"]}</a>\n'
        f'    {website}<a class="report-link" href="{report}">{w["report"]}</a>\n'
        f'    <button type="button" class="add-referral" data-add-referral="f{ident}" hidden>'
        f"{w['add']}</button>\n"
        "  </p>\n"
        f'  <p class="provenance">{w["source"]} {note} · {w["last_seen"]} '
        f'<time datetime="{seen}">{seen}</time>.</p>\n'
        "</li>\n"
    )


def _confirmed(found: LastConfirmation | None) -> str:
    if found is None:
        return ""
    return f'<p class="confirmed">{e(confirmation_line(found))}</p>\n'


def _asked(query: FacilityQuery) -> list[Category]:
    """Return the filters beyond type of care and medication, in the form's order.

    Each result shows them as the reason it matched (type of care and medication are among
    the result's own badges already).
    """
    chosen = set(query.categories)
    found = [c for c in CATEGORIES if c.key in chosen and c.group not in ("care", "medication")]
    return sorted(found, key=lambda c: _GROUP_ORDER[c.group])  # stable: form order in a group


def e(value: str) -> str:
    """Escape text for HTML exactly as markupsafe (and so Jinja's autoescape) does.

    Five C-level replaces, without the Markup object ``str(escape(value))`` builds and drops:
    about half the time on the ~200 values of a page (a test holds it to markupsafe's output).
    """
    return (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&#34;")
        .replace("'", "&#39;")
    )


def escaped(*values: str) -> list[str]:
    """Return each value escaped as :func:`e` does, in one pass over them all.

    The values joined by a NUL, escaped once and split again: a result's dozen values cost
    one call's overhead instead of twelve. A value holding a NUL itself (which escaping
    keeps) splits into more parts than values, and then each is escaped on its own.
    """
    found = e("\0".join(values)).split("\0")
    return found if len(found) == len(values) else [e(value) for value in values]


# The words every result repeats, translated (and escaped) once a page.
_WORDS = {
    "away": N_("away"),
    "about": N_("about"),
    "approximate": N_("approximate location: the ZIP code area"),
    "in_zip": N_("in ZIP code %(zip)s (approximate location)"),
    "no_phone": N_("Phone not listed in the source"),
    "services": N_("Services"),
    "unlisted": N_("Services not listed by the source"),
    "call": N_("Call"),
    "directions": N_("Directions"),
    "website": N_("Website"),
    "source": N_("Source:"),
    "last_seen": N_("Last seen:"),
    "report": N_("Report a problem"),
    "add": N_("Add to referral list"),
}


@lru_cache(maxsize=16)
def _words(locale: str) -> dict[str, str]:
    """Return the repeated words of ``locale`` (the request's), translated once a language."""
    return {key: e(translate_label(text)) for key, text in _WORDS.items()}


def _distance(hit: FacilityHit, shown: str, w: dict[str, str]) -> str:
    """Return the distance line; ``shown`` is the distance written and escaped."""
    if hit.distance is None:
        return ""
    if at_zip_centre(hit.distance, hit.location_approximate, hit.zip):
        shown = w["in_zip"] % {"zip": e(hit.zip)}
    elif hit.location_approximate:  # placed at its ZIP's centroid: the distance is a guess too
        shown = f"{w['about']} {shown} {w['away']} ({w['approximate']})"
    else:
        shown = f"{shown} {w['away']}"
    return f'<p class="distance">{shown}</p>\n  '


def _badges(hit: FacilityHit, w: dict[str, str], locale: str) -> str:
    lo, hi = _BADGE_MASK
    items = _badge_items(locale, hit.service_bits_lo & lo, hit.service_bits_hi & hi)
    return items + (f'<li class="unknown">{w["unlisted"]}</li>' if not hit.services_known else "")


@lru_cache(maxsize=4096)
def _badge_items(locale: str, lo: int, hi: int) -> str:
    """Return the type-of-care and medication badges of one service combination.

    Only those two groups' bits are in the key, so listings share a few hundred
    combinations at most and each is drawn once per language.
    """
    labels = categories_for_bits(lo, hi, "care") + categories_for_bits(lo, hi, "medication")
    return "".join(f"<li>{e(translate_label(label))}</li>" for label in labels)
