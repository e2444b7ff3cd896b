"""Referral lists: facilities and meetings a coordinator picked, in order, with notes.

A list has no server-side storage: it lives in the browser (localStorage) and in its link,
so anyone with the link sees the same list. The link's query string is compact and readable:

    /referrals?l=f12,m7,f40&n.f12=Call+intake+first

``l`` holds the entries in order (``f`` facility id, ``m`` meeting id) and ``n.<entry>`` the
note of one entry. The same parameters drive the referral exports.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlencode

from locator.errors import N_, BadQueryError

Kind = Literal["f", "m"]
MAX_NOTE = 500
_ENTRY = re.compile(r"^([fm])([1-9][0-9]{0,9})$")
MAX_ID = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Entry:
    """One line of a referral list."""

    kind: Kind
    id: int
    note: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}{self.id}"


def parse_entries(args: Mapping[str, str], *, limit: int) -> list[Entry]:
    """Read the list from ``l`` and its notes from ``n.<entry>``; repeated entries count once.

    Raises:
        BadQueryError: an entry is not f<number> or m<number>, a note is too long, or the
            list is longer than ``limit``.
    """
    keys: list[str] = []
    for part in (args.get("l") or "").split(","):
        part = part.strip()
        if not part:
            continue
        found = _ENTRY.match(part[:12])
        if found is None or len(part) > 11 or int(found.group(2)) > MAX_ID:
            raise BadQueryError(
                N_(
                    "“%(value)s” is not a list entry; entries look like f12 (a facility) "
                    "or m7 (a meeting)."
                ),
                field="l",
                value=part[:20],
            )
        if part not in keys:
            keys.append(part)
    if len(keys) > limit:
        raise BadQueryError(
            N_("A referral list can hold at most %(limit)d entries; this one has %(count)d."),
            field="l",
            limit=limit,
            count=len(keys),
        )
    return [_entry(key, args) for key in keys]


def _entry(key: str, args: Mapping[str, str]) -> Entry:
    note = (args.get(f"n.{key}") or "").strip()
    if len(note) > MAX_NOTE:
        raise BadQueryError(
            N_("A note can be at most %(most)d characters; shorten the note of %(key)s."),
            field=f"n.{key}",
            most=MAX_NOTE,
            key=key,
        )
    kind: Kind = "f" if key[0] == "f" else "m"
    return Entry(kind=kind, id=int(key[1:]), note=note)


def list_query(entries: list[Entry]) -> dict[str, str]:
    """Return the query parameters that reproduce ``entries`` (for links)."""
    params = {"l": ",".join(e.key for e in entries)} if entries else {}
    params.update({f"n.{e.key}": e.note for e in entries if e.note})
    return params


def list_link(path: str, entries: list[Entry], **extra: str) -> str:
    """Return ``path`` with the list (and ``extra`` parameters) in its query string."""
    params = {**list_query(entries), **{k: v for k, v in extra.items() if v}}
    return f"{path}?{urlencode(params)}" if params else path


def moved(entries: list[Entry], index: int, step: int) -> list[Entry]:
    """Return the list with entry ``index`` moved ``step`` places (clamped to the ends)."""
    target = min(max(index + step, 0), len(entries) - 1)
    reordered = list(entries)
    reordered.insert(target, reordered.pop(index))
    return reordered


def without(entries: list[Entry], index: int) -> list[Entry]:
    """Return the list without entry ``index``."""
    return entries[:index] + entries[index + 1 :]
