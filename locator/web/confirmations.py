"""How a phone confirmation reads on the pages: "Confirmed by phone on …: accepting new patients".

The words live in one place (locator/admin/confirmations.py's OUTCOMES and
locator/exports/confirmation_text.py's sentences) so the pages, the API and every export say
the same thing; this module only binds them to the request's language and to today.
"""

from __future__ import annotations

from datetime import UTC, datetime

from locator.admin.confirmations import LastConfirmation
from locator.exports.confirmation_text import confirmation_sentence
from locator.web import i18n


def confirmation_line(found: LastConfirmation | None) -> str:
    """Return the sentence for the latest call, in the visitor's language ('' without one)."""
    if found is None:
        return ""
    translations = i18n.request_translations()
    return confirmation_sentence(
        found, datetime.now(UTC).date(), translations.ugettext, translations.ungettext
    )
