"""Meeting fellowships, type codes and the format filters people choose from.

Type codes only mean something within a program (Recovery Dharma's ``IW`` is not NA's), so
stored meetings keep the source's codes as ``PROGRAM:CODE`` and, where the meaning is known,
the Meeting Guide code (data/meetings/meeting_guide_types.json, code4recovery/spec). NA
formats are mapped through their NA World Services ``world_id`` with BMLT's own crosswalk
(bmlt-server ``TsmlMeetingResource``), which matches TSML's ``na`` program types.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from locator.paths import DATA_DIR

FELLOWSHIPS: dict[str, str] = {
    "NA": "Narcotics Anonymous",
    "AA": "Alcoholics Anonymous",
    "SMART": "SMART Recovery",
    "RD": "Recovery Dharma",
    "RR": "Refuge Recovery",
    "CA": "Cocaine Anonymous",
    "CMA": "Crystal Meth Anonymous",
}


@dataclass(frozen=True, slots=True)
class Finder:
    """A fellowship's own official meeting finder: where to look where we list nothing."""

    fellowship: str
    name: str
    url: str


# Each fellowship's official finder (its own site), for places our lists do not cover.
FINDERS: tuple[Finder, ...] = (
    Finder("NA", "Narcotics Anonymous", "https://www.na.org/meetingsearch/"),
    Finder("AA", "Alcoholics Anonymous", "https://www.aa.org/find-aa"),
    Finder("SMART", "SMART Recovery", "https://meetings.smartrecovery.org/meetings/"),
    Finder("RD", "Recovery Dharma", "https://recoverydharma.org/meetings/"),
)

ATTENDANCE_LABELS: dict[str, str] = {
    "in_person": "In person",
    "hybrid": "In person and online",
    "online": "Online",
    "inactive": "Temporarily closed",
}

# BMLT world_id -> Meeting Guide type (bmlt-server TsmlMeetingResource, @524b5e8).
WORLD_ID_TYPES: dict[str, str] = {
    "CPT": "CPT", "BT": "BT", "BEG": "BEG", "CAN": "CAN", "CW": "CW", "CLOSED": "C",
    "DISC": "DISC", "GL": "GL", "IP": "IP", "IW": "IW", "JFT": "JFT", "LIT": "LIT",
    "LC": "LC", "TC": "TC", "M": "M", "MED": "MED", "NS": "NS", "VM": "ONL", "OPEN": "O",
    "QA": "QA", "RA": "RA", "SMOK": "SMOK", "SPAD": "SPAD", "SPK": "SPK", "STEP": "STEP",
    "SWG": "SWG", "TOP": "TOP", "TRAD": "TRAD", "VAR": "VAR", "WCHR": "X", "W": "W", "Y": "Y",
}  # fmt: skip

# Programs whose feeds use the Meeting Guide reserved codes with their reserved meaning.
SPEC_PROGRAMS = frozenset({"AA", "NA", "CA", "CMA"})


@dataclass(frozen=True, slots=True)
class FormatFilter:
    """A format a person can require, e.g. wheelchair access, backed by type codes."""

    key: str
    label: str
    codes: frozenset[str]


def _f(key: str, label: str, codes: str) -> FormatFilter:
    return FormatFilter(key, label, frozenset(codes.split()))


FORMAT_FILTERS: tuple[FormatFilter, ...] = (
    _f("open", "Open (anyone may attend)", "O"),
    _f("closed", "Closed (for people who want to stop)", "C"),
    _f("wheelchair", "Wheelchair access", "X"),
    _f("newcomer", "Newcomers / beginners", "BE BEG"),
    _f("spanish", "Spanish", "S"),
    _f("asl", "American Sign Language", "ASL"),
    _f("women", "Women", "W"),
    _f("men", "Men", "M"),
    _f("young", "Young people", "Y"),
    _f("lgbtq", "LGBTQ", "LGBTQ GL"),
    _f("speaker", "Speaker", "SP SPK"),
    _f("discussion", "Discussion", "D DISC"),
    _f("step", "Step study", "ST STEP"),
    _f("secular", "Secular", "A"),
)


@cache
def format_filters() -> dict[str, FormatFilter]:
    """Return the format filters keyed by their URL key."""
    return {f.key: f for f in FORMAT_FILTERS}


@cache
def type_names() -> dict[str, str]:
    """Return the English name of every reserved Meeting Guide type code."""
    path = DATA_DIR / "meetings" / "meeting_guide_types.json"
    with path.open(encoding="utf-8") as handle:
        data: dict[str, dict[str, str]] = json.load(handle)
    names = {code: labels["en"] for code, labels in data.items()}
    names.setdefault("ONL", "Online Meeting")  # TSML adds it to every program
    return names


@cache
def type_names_in(language: str) -> dict[str, str]:
    """Map English Meeting Guide type names to the spec's own names in ``language``."""
    if language == "en":
        return {}
    path = DATA_DIR / "meetings" / "meeting_guide_types.json"
    with path.open(encoding="utf-8") as handle:
        data: dict[str, dict[str, str]] = json.load(handle)
    return {labels["en"]: labels[language] for labels in data.values() if labels.get(language)}


def fellowship_name(code: str) -> str:
    """Return the full name of a fellowship code, or the code itself."""
    return FELLOWSHIPS.get(code, code)
