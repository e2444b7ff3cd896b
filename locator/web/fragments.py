"""Template fragments drawn once per language and choice, then reused.

The crisis lines, the site's navigation and footer are the same on every page for every
visitor of one language, and the search form's "More filters" and law boxes depend only on
what is chosen in them. Drawn by Jinja on every request they were a fifth of a results
page's server time (bench/pages.py). A template marks such a part as a macro and draws it
through ``cached_fragment("name", macro, *choices)``: the macro runs the first time a
language and choice is seen, the Markup is kept (least recently used out first).

Only parts that depend on nothing else than the language and the arguments may be cached;
with template auto-reload on (debug), every call draws afresh so edits show at once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

from flask import current_app
from flask_babel import get_locale
from markupsafe import Markup

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
