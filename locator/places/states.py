"""The US states, DC and territories (data/states.csv), looked up by code or name."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from locator.paths import DATA_DIR
from locator.text import fold


@dataclass(frozen=True, slots=True)
class State:
    """A state, the District of Columbia or a territory."""

    code: str
    name: str
    name_es: str
    fips: str
    kind: str  # state, district, territory


@cache
def all_states() -> tuple[State, ...]:
    """Return every state and territory in the order of data/states.csv."""
    with (DATA_DIR / "states.csv").open(encoding="utf-8", newline="") as handle:
        return tuple(State(**row) for row in csv.DictReader(handle))


@cache
def _index() -> dict[str, State]:
    index: dict[str, State] = {}
    for state in all_states():
        for key in (state.code, state.name, state.name_es):
            index[fold(key)] = state
    index[fold("Virgin Islands")] = index[fold("VI")]
    index[fold("Washington DC")] = index[fold("DC")]
    index[fold("Washington D.C.")] = index[fold("DC")]
    return index


def find_state(text: str) -> State | None:
    """Return the state named or abbreviated by ``text``, or None."""
    return _index().get(fold(text))


def state_name(code: str) -> str:
    """Return the full name of a state code, or the code itself when unknown."""
    state = _index().get(fold(code))
    return state.name if state else code
