"""The embedded, offline US gazetteer: ZIP codes, cities and states from the `zipcodes` package.

`zipcodes` ships the USPS ZIP list with a centroid, city, county and IANA time zone per ZIP.
It carries no population, so a city's size is the number of ZIP codes it holds: Miami, FL has
100 and Miami, OK 2, Phoenix, AZ 81 and Phoenix, OR 1. That count stands in for population
where a one-word place names several cities and where typo suggestions are ranked.
Some ZIPs (military APO/FPO, a few PO boxes) carry 0,0 as coordinates; those are treated as
unknown rather than as a point in the Gulf of Guinea.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any, Literal

from rapidfuzz import fuzz, process

from locator.places.geo import Point, haversine_km_raw
from locator.places.states import State
from locator.text import fold_place

PlaceKind = Literal["zip", "city", "state", "coordinates", "address"]


@dataclass(frozen=True, slots=True)
class Place:
    """Where a search starts: a point, a label to show and what kind of place it is."""

    point: Point
    label: str
    kind: PlaceKind
    state: str = ""
    time_zone: str = ""
    note: str = ""
    others: tuple[str, ...] = ()  # other places the text could mean ("Miami, OK"), as links


@dataclass(slots=True)
class _City:
    """Running sums of a city's ZIP centroids while the index is built."""

    name: str
    state: str
    time_zone: str
    lat_sum: float = 0.0
    lon_sum: float = 0.0
    count: int = 0

    def add(self, lat: float, lon: float) -> None:
        self.lat_sum += lat
        self.lon_sum += lon
        self.count += 1

    def place(self) -> Place:
        centre = Point(round(self.lat_sum / self.count, 6), round(self.lon_sum / self.count, 6))
        label = f"{self.name}, {self.state}"
        return Place(centre, label, "city", state=self.state, time_zone=self.time_zone)


_ZipRow = tuple[float, float, str, str, str]  # lat, lon, state, time zone, label


class Gazetteer:
    """Offline lookups of ZIP codes, "City, ST" and states."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self._zips: dict[str, _ZipRow] = {}
        cities: dict[tuple[str, str], _City] = {}
        aliases: dict[tuple[str, str], _City] = {}
        states: dict[str, _City] = {}
        for record in records:
            row = _zip_row(record)
            if row is None:
                continue
            lat, lon, state, zone, _label = row
            self._zips[record["zip_code"]] = row
            states.setdefault(state, _City(state, state, zone)).add(lat, lon)
            _city(cities, record["city"], state, zone).add(lat, lon)
            for alias in record.get("acceptable_cities") or ():
                _city(aliases, alias, state, zone).add(lat, lon)
        self._primary = cities
        self._cities = aliases | cities
        self._by_city_name: dict[str, list[_City]] = defaultdict(list)
        for (name, _state), city in self._cities.items():
            self._by_city_name[name].append(city)
        self._states = states
        for same_name in self._by_city_name.values():
            same_name.sort(key=lambda city: (-city.count, city.state))

    @classmethod
    def from_zipcodes(cls) -> Gazetteer:
        """Return the gazetteer built from the `zipcodes` package (once per process)."""
        return embedded_gazetteer()

    def zip(self, code: str) -> Place | None:
        """Return the centroid of a 5-digit ZIP code."""
        row = self._zips.get(code[:5])
        if row is None:
            return None
        lat, lon, state, zone, label = row
        return Place(Point(lat, lon), label, "zip", state=state, time_zone=zone)

    def city(self, name: str, state: State) -> Place | None:
        """Return the centre of a city (the mean of its ZIP centroids) in a state."""
        city = self._cities.get((fold_place(name), state.code))
        return None if city is None else city.place()

    def cities_named(self, name: str) -> list[Place]:
        """Return every city of that name, in any state, the biggest (most ZIPs) first."""
        return [city.place() for city in self._by_city_name.get(fold_place(name), ())]

    def state(self, state: State) -> Place | None:
        """Return a state's centre (the mean of its ZIP centroids)."""
        sums = self._states.get(state.code)
        if sums is None:
            return None
        return Place(sums.place().point, state.name, "state", state=state.code)

    def state_extent(self, state: State) -> tuple[Place, float] | None:
        """Return a state's centre and the distance (km) from it to its farthest ZIP centroid.

        A circle of that radius around the centre covers every place of the state that has a
        ZIP code, which is what a distance-limited API sweep of one state needs.
        """
        centre = self.state(state)
        if centre is None:
            return None
        lat, lon = centre.point.lat, centre.point.lon
        farthest = max(
            haversine_km_raw(lat, lon, row[0], row[1])
            for row in self._zips.values()
            if row[2] == state.code
        )
        return centre, farthest

    @cached_property
    def _names_by_state(self) -> dict[str, tuple[list[str], list[str], list[int]]]:
        """Per state: folded city names, their "City, ST" labels and their sizes."""
        names: dict[str, tuple[list[str], list[str], list[int]]] = defaultdict(lambda: ([], [], []))
        for (folded, state), city in self._primary.items():
            folded_names, labels, sizes = names[state]
            folded_names.append(folded)
            labels.append(f"{city.name}, {city.state}")
            sizes.append(city.count)
        return dict(names)

    @cached_property
    def _all_names(self) -> tuple[list[str], list[str], list[int]]:
        folded_names: list[str] = []
        labels: list[str] = []
        sizes: list[int] = []
        for state_names in self._names_by_state.values():
            folded_names.extend(state_names[0])
            labels.extend(state_names[1])
            sizes.extend(state_names[2])
        return folded_names, labels, sizes

    def suggest(self, text: str, state: State | None = None, limit: int = 3) -> list[str]:
        """Return up to ``limit`` "City, ST" names that look like ``text``, best first.

        Names are compared by edit similarity of the city name alone (a scorer that also
        matched parts of words offered "Dulles, VA" for "Charlottesvile VA"); among close
        names the bigger place ranks first, so "Phonix" offers Phoenix, AZ before Phoenix, OR.
        """
        folded_names, labels, sizes = (
            self._names_by_state.get(state.code, ([], [], [])) if state else self._all_names
        )
        query = fold_place(text)
        if not folded_names or not query:
            return []
        found = process.extract(
            query, folded_names, scorer=fuzz.ratio, limit=limit * 8, score_cutoff=SIMILAR
        )
        ranked = sorted(
            found, key=lambda hit: (-(hit[1] + SIZE_WEIGHT * math.log10(sizes[hit[2]])), hit[2])
        )
        return list(dict.fromkeys(labels[index] for _name, _score, index in ranked))[:limit]


SIMILAR = 75  # rapidfuzz ratio (0-100) a name needs to be offered as a suggestion
SIZE_WEIGHT = 6  # points of similarity a tenfold bigger place (in ZIP codes) is worth


@cache
def embedded_gazetteer() -> Gazetteer:
    """Build the gazetteer from the data shipped inside the `zipcodes` package, once."""
    import zipcodes  # deferred: reading the data takes a moment and nothing runs at import

    # One first digit at a time, in list_all()'s order (by ZIP): list_all() keeps all 42k
    # dicts in the package for good (~140 MB, half of a national import's peak memory).
    records: Iterator[dict[str, Any]] = (
        record
        for digit in "0123456789"
        for record in zipcodes.similar_to(digit)  # type: ignore[no-untyped-call]
    )
    return Gazetteer(records)


def _zip_row(record: Mapping[str, Any]) -> _ZipRow | None:
    try:
        lat, lon = float(record["lat"]), float(record["long"])
    except (KeyError, TypeError, ValueError):
        return None
    if (lat == 0.0 and lon == 0.0) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    state = record.get("state") or ""
    label = f"{record['city'].title()}, {state} {record['zip_code']}"
    return (lat, lon, state, record.get("timezone") or "", label)


def _city(index: dict[tuple[str, str], _City], name: str, state: str, zone: str) -> _City:
    key = (fold_place(name), state)
    city = index.get(key)
    if city is None:
        city = index[key] = _City(name.title(), state, zone)
    return city
