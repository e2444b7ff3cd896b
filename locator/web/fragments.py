"""Template fragments drawn once per language and choice, then reused.

The crisis lines, the site's navigation and footer are the same on every page for every
visitor of one language, and the search form's "More filters" and law boxes depend only on
what is chosen in them. Drawn by Jinja on every request they were a fifth of a results
page's server time (bench/pages.py). A template marks such a part as a macro and draws it
through ``cached_fragment("name", macro, *choices)``: the macro runs the first time a
language and choice is seen, the Markup is kept (least recently used out first).

A part that holds a few values of the request is drawn once with stand-ins in their place
(private-use characters no page text holds), then filled in: the page layout of base.html
(:func:`filled_page`: title, head and main blocks, language switch) and the search form
(:func:`filled_search_form`: what was typed).

Only parts that depend on nothing else than the language and the arguments may be cached;
with template auto-reload on (debug), every call draws afresh so edits show at once.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup, escape
from werkzeug.datastructures import MultiDict

FragmentKey = tuple[str, str, tuple[Hashable, ...]]


class FragmentCache:
    """A bounded, thread-safe map of (name, language, choices) to drawn markup."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._drawn: OrderedDict[FragmentKey, Markup] = OrderedDict()

    def get(self, key: FragmentKey, draw: Callable[[], Markup]) -> Markup:
        """Return the markup kept for ``key``, drawing and keeping it the first time."""
        with self._lock:
            found = self._drawn.get(key)
            if found is not None:
                self._drawn.move_to_end(key)
                return found
        drawn = Markup(draw())  # noqa: S704 - a Jinja macro's output, escaped by Jinja
        with self._lock:
            self._drawn[key] = drawn
            if len(self._drawn) > self._size:
                self._drawn.popitem(last=False)
        return drawn

    def __len__(self) -> int:
        return len(self._drawn)


def template_macros(name: str) -> Any:
    """Return a template's module, its macros as ``{% from name import ... %}`` gives them.

    The same module: an import without context is the template's ``module`` unless the
    importing template has globals the imported one lacks, and to find that out Jinja
    compares every global (~50, through a ChainMap) on each render: two imports were a tenth
    of the results page's template time. A template on the hot path takes its macros here.
    """
    return current_app.jinja_env.get_template(name).module


def cached_fragment(name: str, macro: Callable[..., Markup], *choices: object) -> Markup:
    """Draw ``macro(*choices)`` once per language and choices (a Jinja global).

    A choice is a string or a list of strings (such as the chosen filters).
    """
    key = tuple(tuple(c) if isinstance(c, list) else c for c in choices)
    return cached_markup(name, key, lambda: macro(*choices))


def cached_markup(
    name: str, key: tuple[Hashable, ...], draw: Callable[[], Markup], locale: str = ""
) -> Markup:
    """Return ``draw()``, drawn once per language and ``key``.

    ``key`` must hold everything the markup depends on besides the language (``locale``,
    the request's unless given).
    """
    if current_app.jinja_env.auto_reload:
        return Markup(draw())  # noqa: S704 - a Jinja macro's output, escaped by Jinja
    cache: FragmentCache = current_app.extensions["fragment_cache"]
    return cache.get((name, locale or str(get_locale()), key), draw)


# What the search form shows of what was typed: drawn with these stand-ins (private-use
# characters, which no page text holds and escaping keeps), then filled in in one pass.
_TYPED = ("near", "lat", "lon", "radius")
_HOLE = "\ue000{}\ue000"
_HOLES = re.compile("\ue000(near|lat|lon|radius|summary)\ue000")


def filled_search_form(
    draw: Callable[..., Markup],
    form: Any,
    error: object = None,
    field: str | None = None,
    suggestions: Sequence[str] = (),
    summary: str | None = None,
) -> Markup:
    """Draw the search form once per language and shape, then fill in the typed values.

    The shape is all the form decides on: which of place, coordinates and distance were
    given, the unit, the chosen filters and laws, the phone-confirmed box, whether a summary
    line leads it. A form with an error sentence is drawn afresh.
    """
    if error or suggestions or not isinstance(form, MultiDict):
        return draw(form, error=error, field=field, suggestions=suggestions, summary=summary)
    # Each name's first value; a plain dict, as MultiDict.get finds a missing name by raising.
    given: dict[str, str] = form.to_dict()
    typed = {name: str(escape(given[name])) for name in _TYPED if given.get(name)}
    shape: list[tuple[str, str]] = []  # the stand-in form, as (name, value) pairs
    for name in _TYPED:
        if name in typed:
            shape.append((name, _HOLE.format(name)))
        elif name in given:  # given but empty: the distance then shows empty, not 25
            shape.append((name, given[name]))
    if "unit" in given:  # only compared: any other unit selects neither option
        shape.append(("unit", given["unit"] if given["unit"] in ("mi", "km") else "other"))
    shape.extend(("service", value) for value in form.getlist("service"))
    shape.extend(("law", value) for value in form.getlist("law"))
    if given.get("confirmed"):
        shape.append(("confirmed", "on"))
    if summary:
        typed["summary"] = str(escape(summary))
    shown = _HOLE.format("summary") if summary else summary
    key = (tuple(shape), field, shown)
    drawn = cached_markup(
        "search-form", key, lambda: draw(MultiDict(shape), field=field, summary=shown)
    )
    return Markup(_HOLES.sub(lambda found: typed[found.group(1)], drawn))  # noqa: S704 - escaped


# What each request puts into the layout of base.html, in the order of its macro's arguments.
_PAGE_PARTS = ("title", "head", "languages", "main")
_PAGE_HOLES = re.compile("\ue000(title|head|languages|main)\ue000")


def filled_page(draw: Callable[..., Markup], **parts: Markup) -> Markup:
    """Draw the page layout once per language, then put in this request's own parts.

    The layout (head links, crisis lines, navigation, footer) depends on the language only;
    ``parts`` are the title, the template's head and main blocks and the language switch,
    already drawn (escaped) for this request.
    """
    holes = [_HOLE.format(name) for name in _PAGE_PARTS]
    drawn = cached_markup("page", (), lambda: draw(*holes))
    return Markup(_PAGE_HOLES.sub(lambda found: parts[found.group(1)], drawn))  # noqa: S704
