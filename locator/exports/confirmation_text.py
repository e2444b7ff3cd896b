"""The sentence a phone confirmation reads as, in any language (pages, API and exports).

"Confirmed by phone on 2026-11-30 (2 days ago): wait list, about 14 days". The caller's name
is never part of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from locator.admin.confirmations import OUTCOMES, LastConfirmation
from locator.errors import N_

Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def outcome_words(found: LastConfirmation, gettext: Gettext, ngettext: Ngettext) -> str:
    """Return what the call found: 'accepting new patients', 'wait list, about 14 days'."""
    words = gettext(OUTCOMES.get(found.outcome, found.outcome))
    if found.outcome == "wait_list" and found.wait_days is not None:
        about = ngettext("about %(num)d day", "about %(num)d days", found.wait_days)
        words = f"{words}, {about % {'num': found.wait_days}}"
    return words


def age_words(found: LastConfirmation, today: date, gettext: Gettext, ngettext: Ngettext) -> str:
    """Return how long ago the call was: 'today', '3 days ago'."""
    days = found.age_days(today)
    if days == 0:
        return gettext(N_("today"))
    return ngettext("%(num)d day ago", "%(num)d days ago", days) % {"num": days}


def confirmation_sentence(
    found: LastConfirmation, today: date, gettext: Gettext, ngettext: Ngettext
) -> str:
    """Return 'Confirmed by phone on <date> (<age>): <outcome>'."""
    return gettext(N_("Confirmed by phone on %(date)s (%(age)s): %(outcome)s")) % {
        "date": found.called_on.isoformat(),
        "age": age_words(found, today, gettext, ngettext),
        "outcome": outcome_words(found, gettext, ngettext),
    }
