"""Template and view helpers: translated labels, filter options, distances, phone and map links."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import current_app, g
from flask_babel import get_locale
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

from locator.facilities.taxonomy import categories_in, category
from locator.web import i18n


def translate_label(text: str) -> str:
    """Translate a label from the vocabulary (service, group), remembered for the request.

    A results page shows the same few labels on every result and ~130 in the form.
    """
    memo: dict[str, str] | None = g.get("_labels")
    if memo is None:
        memo = g._labels = {}
    found = memo.get(text)
    if found is None:
        found = memo[text] = i18n.request_translations().ugettext(text)
    return found


def service_options(group: str, chosen: list[str]) -> Markup:
    """Render the <option>s of one filter group, the chosen ones selected.

    The form offers ~130 of them on every search page; built once per language and choice
    here, they cost nothing after the first page (a Jinja loop was a third of the results
    page; bench/pages.py).
    """
    selected = tuple(k for k in chosen if (c := category(k)) is not None and c.group == group)
    return _service_options(str(get_locale()), group, selected)


@lru_cache(maxsize=1024)
def _service_options(locale: str, group: str, selected: tuple[str, ...]) -> Markup:
    parts = []
    for found in categories_in(group):
        mark = " selected" if found.key in selected else ""
        label = escape(translate_label(found.label))
        parts.append(f'<option value="{escape(found.key)}"{mark}>{label}</option>')
    return Markup("".join(parts))  # noqa: S704 - every value in it is escaped above


def chosen_outside(chosen: list[str], group: str) -> list[str]:
    """Return the chosen filters that belong to other groups than ``group``."""
    return [k for k in chosen if (c := category(k)) is not None and c.group != group]


def format_distance(value: float | None, unit: str = "mi") -> str:
    """Format a distance for people: '0.3 mi', '12 mi'."""
    if value is None:
        return ""
    shown = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return f"{shown} {unit}"


def directions_url(*parts: str) -> str:
    """Return a map-directions link for an address (opens the phone's map app)."""
    address = ", ".join(p for p in parts if p)
    return f"https://www.google.com/maps/dir/?api=1&destination={quote_plus(address)}"


def tel_href(phone: str) -> str:
    """Return a tel: link for a US phone number as published."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    if len(digits) == 10:
        digits = "1" + digits
    return f"tel:+{digits}"


def link_args(args: MultiDict[str, str], endpoint: str, **changes: Any) -> dict[str, Any]:
    """Return a query string's values to rebuild a link to ``endpoint``, with ``changes``.

    Names url_for keeps for itself (``endpoint``, ``_external``, ``_scheme``, ``_anchor``,
    ``_method``...) and the endpoint's own path variables (the export's ``suffix``) are left
    out: from a visitor's query string they made url_for crash or build links to another
    host.
    """
    taken = {"endpoint"}
    for rule in current_app.url_map.iter_rules(endpoint):
        taken |= rule.arguments
    kept = {
        name: values
        for name, values in args.to_dict(flat=False).items()
        if not name.startswith("_") and name not in taken
    }
    return {**kept, **changes}
