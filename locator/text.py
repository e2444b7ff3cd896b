"""Small text helpers shared by the geocoder, the importers and the search."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NOT_WORD = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "ft": "fort", "mt": "mount"}


def fold(text: str) -> str:
    """Lower-case, strip accents and punctuation, collapse spaces: 'Añasco ' -> 'anasco'."""
    if not text.isascii():  # the common case skips the Unicode decomposition
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_WORD.sub(" ", text.lower()).strip()


@lru_cache(maxsize=65536)
def fold_place(text: str) -> str:
    """Fold a place name and expand St/Ft/Mt so 'St. Louis' matches 'Saint Louis'."""
    words = fold(text).split()
    if words and words[0] in _ABBREVIATIONS:
        words[0] = _ABBREVIATIONS[words[0]]
    return " ".join(words)


def clean(value: object) -> str:
    """Return a trimmed string for any feed value (None -> ''), non-breaking spaces included."""
    if value is None:
        return ""
    return " ".join(str(value).replace("\u00a0", " ").split())
