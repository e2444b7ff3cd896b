"""Facility records as importers produce them, and the writer that stores them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, fields, replace
from datetime import date
from typing import Any

from locator.text import clean, fold

_STREET_WORDS = {
    "street": "st",
    "avenue": "ave",
    "road": "rd",
    "drive": "dr",
    "boulevard": "blvd",
    "lane": "ln",
    "highway": "hwy",
    "parkway": "pkwy",
    "place": "pl",
    "court": "ct",
    "circle": "cir",
    "terrace": "ter",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
    "suite": "ste",
    "route": "rt",
    "plaza": "plz",
    "square": "sq",
    "mount": "mt",
}
# How SAMHSA's listings abbreviate one name differently in different files ("Hope for Tomorrow
# Mental Hlth Servs" in one directory, "Hope for Tomorrow MH Servs" in the other): words are
# written out before a name becomes part of a site's key. Only unambiguous abbreviations are
# here; different providers that share a building keep different keys.
_NAME_WORDS = {
    "mh": "mental health",
    "mhc": "mental health center",
    "cmhc": "community mental health center",
    "bh": "behavioral health",
    "hlth": "health",
    "ctr": "center",
    "cntr": "center",
    "svc": "services",
    "svcs": "services",
    "serv": "services",
    "servs": "services",
    "srvs": "services",
    "srvcs": "services",
    "service": "services",
    "cnty": "county",
    "dept": "department",
    "assn": "association",
    "assoc": "association",
    "hosp": "hospital",
    "trtmt": "treatment",
    "prog": "program",
    "progs": "programs",
    "mt": "mount",
    "ft": "fort",
    "st": "saint",
    "and": "",
    "of": "",
    "the": "",
    "inc": "",
    "llc": "",
    "pllc": "",
    "ltd": "",
    "corp": "",
    "pa": "",
    "pc": "",
}
_FAKE_PHONE = re.compile(r"^(\d)\1{9}$")


def street_key(street: str) -> str:
    """Normalise a street so '71 Tan Bark Plaza' and '71 Tanbark Plz' compare equal."""
    return "".join(_STREET_WORDS.get(word, word) for word in fold(street).split())


def name_key(name: str) -> str:
    """Normalise a facility name: 'Frontier Health Inc' and 'Frontier Health' compare equal."""
    return "".join(_NAME_WORDS.get(word, word) for word in fold(name).split()).replace(" ", "")


def facility_key(name: str, street: str, city: str, state: str, zip_code: str) -> str:
    """Derive a stable key for a site from normalised name, street, city, state and ZIP.

    The program name (name2) is left out on purpose: the SA and MH rows of one site often
    carry different ones.
    """
    parts = [
        name_key(name),
        street_key(street),
        fold(city),
        state.upper(),
        zip_code[:5],
    ]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:32]


def clean_phone(value: object) -> str:
    """Return the phone as published, or '' for a placeholder such as (999) 999-9999."""
    text = clean(value)
    digits = re.sub(r"\D", "", text)
    if not digits or _FAKE_PHONE.match(digits[-10:]) or len(digits) < 7:
        return ""
    return text


def clean_website(value: object) -> str:
    """Return an http(s) URL, or '' for empty, bare 'http://' or other schemes."""
    text = clean(value)
    if not text or text.lower() in {"http://", "https://"}:
        return ""
    if "://" not in text:
        text = "http://" + text
    return text if re.match(r"^https?://[^\s/]+\.[^\s]+", text, re.IGNORECASE) else ""


@dataclass(slots=True)
class FacilityRecord:
    """One site as a source lists it, before it is stored."""

    key: str
    name: str
    state: str
    name2: str = ""
    street1: str = ""
    street2: str = ""
    city: str = ""
    zip: str = ""
    county: str = ""
    phone: str = ""
    intake_phone: str = ""
    hotline_phone: str = ""
    website: str = ""
    latitude: float | None = None
    longitude: float | None = None
    location_approximate: bool = False
    facility_types: frozenset[str] = frozenset()
    services: frozenset[str] | None = None  # None: the source did not say
    unmapped_services: tuple[tuple[str, str], ...] = ()
    source_updated: date | None = None

    @property
    def source_key(self) -> str:
        return self.key

    def __reduce__(self) -> tuple[type[FacilityRecord], tuple[Any, ...]]:
        # Pickled while an import holds its records (scrapers/base.py): the fields in order,
        # read back by one constructor call (3x faster than the slots' field-by-field state).
        return (FacilityRecord, tuple(getattr(self, name) for name in _RECORD_FIELDS))

    def fingerprint(self) -> dict[str, Any]:
        # A shallow field copy: dataclasses.asdict deep-copies every value and cost half of an
        # unchanged re-import (bench/import.py); every field here is immutable anyway.
        data = {name: getattr(self, name) for name in _RECORD_FIELDS}
        data["facility_types"] = sorted(self.facility_types)
        data["services"] = None if self.services is None else sorted(self.services)
        data["unmapped_services"] = sorted(self.unmapped_services)
        return data

    def to_json(self) -> dict[str, Any]:
        """Return the record in the project's snapshot format (data/samhsa/*.json)."""
        data = self.fingerprint()
        data["unmapped_services"] = [list(pair) for pair in data["unmapped_services"]]
        data["source_updated"] = self.source_updated.isoformat() if self.source_updated else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FacilityRecord:
        """Read a record back from the snapshot format."""
        services = data.get("services")
        updated = data.get("source_updated")
        return cls(
            **{
                **data,
                "facility_types": frozenset(data.get("facility_types", ())),
                "services": None if services is None else frozenset(services),
                "unmapped_services": tuple(tuple(p) for p in data.get("unmapped_services", ())),
                "source_updated": date.fromisoformat(updated) if updated else None,
            }
        )


_RECORD_FIELDS = tuple(f.name for f in fields(FacilityRecord))


def merge_facilities(first: FacilityRecord, second: FacilityRecord) -> FacilityRecord:
    """Merge two rows of one site (e.g. its SA and MH listings) into one record.

    ``first`` wins where both say something, except that a surveyed location beats a ZIP-area
    one; services, facility types and program names are unioned.
    """
    if first.services is None:
        services = second.services
    elif second.services is None:
        services = first.services
    else:
        services = first.services | second.services
    name2 = first.name2
    if second.name2 and second.name2 not in name2.split(" / "):
        name2 = f"{name2} / {second.name2}" if name2 else second.name2
    placed = second if first.location_approximate and not second.location_approximate else first
    return replace(
        first,
        name2=name2,
        latitude=placed.latitude,
        longitude=placed.longitude,
        location_approximate=placed.location_approximate,
        street2=first.street2 or second.street2,
        county=first.county or second.county,
        phone=first.phone or second.phone,
        intake_phone=first.intake_phone or second.intake_phone,
        hotline_phone=first.hotline_phone or second.hotline_phone,
        website=first.website or second.website,
        facility_types=first.facility_types | second.facility_types,
        services=services,
        unmapped_services=tuple(
            sorted(set(first.unmapped_services) | set(second.unmapped_services))
        ),
        source_updated=max(
            (d for d in (first.source_updated, second.source_updated) if d), default=None
        ),
    )
