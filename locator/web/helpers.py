"""Template and view helpers: translated labels, filter options, distances, phone and map links."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus

from flask import g
from flask_babel import get_locale
from markupsafe import Markup, escape

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


def service_checkboxes(group: str, chosen: list[str]) -> Markup:
    """Render one checkbox (inside its label) per filter of a group that takes several values.

    Type of care and medication accept any of several choices (``service`` repeated in the
    URL); the checked ones stay checked.
    """
    selected = tuple(k for k in chosen if (c := category(k)) is not None and c.group == group)
    return _service_checkboxes(str(get_locale()), group, selected)


@lru_cache(maxsize=1024)
def _service_checkboxes(locale: str, group: str, selected: tuple[str, ...]) -> Markup:
    parts = []
    for found in categories_in(group):
        key = escape(found.key)
        mark = " checked" if found.key in selected else ""
        label = escape(translate_label(found.label))
        parts.append(
            f'<label class="choice" for="svc-{key}"><input type="checkbox" name="service" '
            f'id="svc-{key}" value="{key}"{mark}> <span>{label}</span></label>'
        )
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
    # Every result has one: an ASCII address is quoted in one C call, as quote_plus does.
    quoted = address.translate(_PLUS_QUOTED) if address.isascii() else quote_plus(address)
    return f"https://www.google.com/maps/dir/?api=1&destination={quoted}"


# What quote_plus makes of each ASCII character it does not keep as it is.
_PLUS_QUOTED = {
    code: "+" if code == 32 else f"%{code:02X}"
    for code in range(128)
    if not (chr(code).isalnum() or chr(code) in "_.-~")
}


_NOT_DIGITS: dict[int, None] = {code: None for code in range(128) if not chr(code).isdigit()}


def tel_href(phone: str) -> str:
    """Return a tel: link for a US phone number as published."""
    # Every result has one: an ASCII number loses its other characters in one C call.
    digits = (
        phone.translate(_NOT_DIGITS)
        if phone.isascii()
        else "".join(ch for ch in phone if ch.isdigit())
    )
    if len(digits) == 10:
        digits = "1" + digits
    return f"tel:+{digits}"


def args_with(args: Any, **changes: Any) -> dict[str, list[str]]:
    """Return a request's arguments, every repeated value kept, with ``changes`` applied.

    For ``url_for(endpoint, **args_with(form, page=2))``: ``dict(form)`` kept only the first
    of repeated values (service=outpatient&service=intensive_outpatient). A change to None
    drops the argument. Names url_for keeps for itself (``endpoint``, ``_external``,
    ``_scheme``, ``_anchor``, ``_method``...) are left out: from a visitor's query string
    they made url_for crash or build links to another host.
    """
    given: dict[str, Any] = (
        args.to_dict(flat=False) if hasattr(args, "to_dict") else {k: [v] for k, v in args.items()}
    )
    kept = {k: v for k, v in given.items() if not k.startswith("_") and k != "endpoint"}
    for name, value in changes.items():
        if value is None:
            kept.pop(name, None)
        else:
            kept[name] = value
    return kept
