"""How sure a law row is: one written rule, applied to the row's sources.

Every source of a row says what kind of evidence it is. ``law`` is the legal text itself
(a statute or code section, an enacted act, an adopted regulation or an order) on a
government website, read by a reviewer and saying what the row says. ``official`` is any
other government publication (a release, a bill page, an agency notice). ``secondary`` is a
reputable secondary source (news, a legal publisher, a neutral summary). ``lead`` is a
vendor, advocacy or tracker page, or a source that does not confirm the row: it is kept as a
pointer and never counts. ``read`` says whether this review found and read the page in
the stored copies (False: a link carried from the research notes, shown as not read).

The rule (shown on /laws and held by a test for every row):

- High: at least one ``law`` source;
- Medium: at least two reputable sources (``law``, ``official`` or ``secondary``) from
  different websites;
- Low: anything less; a row with no source at all has no grade.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from locator.errors import N_

SOURCE_KINDS = ("law", "official", "secondary", "lead")
OFFICIAL_KINDS = frozenset({"law", "official"})
REPUTABLE_KINDS = frozenset({"law", "official", "secondary"})

SOURCE_KIND_WORDS = {
    "law": N_("official: the law's own text"),
    "official": N_("official"),
    "secondary": N_("secondary"),
    "lead": N_("lead only, not counted"),
}
NOT_READ = N_("carried from the research notes; not found in the pages this review read")
CONFIDENCE_WORDS = {"H": N_("High"), "M": N_("Medium"), "L": N_("Low"), "": N_("None")}
CONFIDENCE_RULE = {
    "H": N_(
        "High: the law's own text (statute, session law, regulation or order) on a government "
        "website says it."
    ),
    "M": N_(
        "Medium: no such text was found, but two independent reputable sources (from "
        "different websites) agree."
    ),
    "L": N_("Low: anything less, such as one source alone, or vendor and advocacy pages."),
    "": N_("None: no source was found."),
}
MISSING = {
    "H": "",
    "M": N_(
        "What is missing for High: the law's own text (statute, session law, regulation or "
        "order) on a government website."
    ),
    "L": N_(
        "What is missing: a second independent reputable source for Medium, and the law's own "
        "text on a government website for High."
    ),
    "": N_("What is missing: any reliable source."),
}


def site(url: str) -> str:
    """Return the website of a URL (its host without a leading www.)."""
    host = urlsplit(url).netloc.lower()
    return host.removeprefix("www.")


def grade(sources: Iterable[Mapping[str, Any]]) -> str:
    """Return the confidence the rule gives a row with these sources: H, M, L or ""."""
    listed = list(sources)
    if any(s.get("kind") == "law" for s in listed):
        return "H"
    reputable = {site(str(s.get("url", ""))) for s in listed if s.get("kind") in REPUTABLE_KINDS}
    if len(reputable) >= 2:
        return "M"
    return "L" if listed else ""


def source_problems(code: str, sources: Iterable[Mapping[str, Any]]) -> list[str]:
    """Return what is wrong with a row's sources (a kind outside the list, a wrong flag)."""
    problems = []
    for s in sources:
        kind = s.get("kind")
        if kind not in SOURCE_KINDS:
            problems.append(f"{code}: source kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
        elif not isinstance(s.get("read"), bool):
            problems.append(f"{code}: source {s.get('url')!r} does not say whether it was read")
        elif bool(s.get("official")) != (kind in OFFICIAL_KINDS):
            problems.append(
                f"{code}: source {s.get('url')!r} is {kind} but official={s.get('official')}"
            )
    return problems
