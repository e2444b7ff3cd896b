"""Facility records as importers produce them, and the writer that stores them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from typing import Any

from sqlalchemy import Engine, bindparam, case, delete, insert, select, update
from sqlmodel import Session, col

from locator.geo import lat_band, unit_vector
from locator.models import Facility, FacilityService, StoreMeta
from locator.taxonomy import service_bits, taxonomy_fingerprint
from locator.text import clean, fold
from scrapers.base import Stored

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
_FAKE_PHONE = re.compile(r"^(\d)\1{9}$")


def street_key(street: str) -> str:
    """Normalise a street so '71 Tan Bark Plaza' and '71 Tanbark Plz' compare equal."""
    return "".join(_STREET_WORDS.get(word, word) for word in fold(street).split())


def facility_key(name: str, street: str, city: str, state: str, zip_code: str) -> str:
    """Derive a stable key for a site from normalised name, street, city, state and ZIP.

    The programme name (name2) is left out on purpose: the SA and MH rows of one site often
    carry different ones.
    """
    parts = [
        fold(name).replace(" ", ""),
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
    """Merge two rows of one site (e.g. its SA and MH listings) into one record."""
    if first.services is None:
        services = second.services
    elif second.services is None:
        services = first.services
    else:
        services = first.services | second.services
    name2 = first.name2
    if second.name2 and second.name2 not in name2.split(" / "):
        name2 = f"{name2} / {second.name2}" if name2 else second.name2
    return replace(
        first,
        name2=name2,
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


def _unit(lat: float | None, lon: float | None) -> tuple[float | None, ...]:
    return (None, None, None) if lat is None or lon is None else unit_vector(lat, lon)


@dataclass
class FacilityWriter:
    """Stores FacilityRecords of one source (the Writer of the import pipeline)."""

    source: str
    source_note: str
    source_url: str = ""
    scope_states: frozenset[str] | None = None
    tables: tuple[str, ...] = ("facility", "facility_service")
    _columns: tuple[str, ...] = field(
        default=(
            "name",
            "name2",
            "street1",
            "street2",
            "city",
            "state",
            "zip",
            "county",
            "phone",
            "intake_phone",
            "hotline_phone",
            "website",
            "latitude",
            "longitude",
            "location_approximate",
            "source_updated",
        ),
        repr=False,
    )

    def merge(self, first: FacilityRecord, second: FacilityRecord) -> FacilityRecord:
        return merge_facilities(first, second)

    def existing(self, session: Session, keys: list[str]) -> dict[str, Stored]:
        rows = session.execute(
            select(
                col(Facility.id),
                col(Facility.source_key),
                col(Facility.content_hash),
                col(Facility.active),
            ).where(col(Facility.source) == self.source, col(Facility.source_key).in_(keys))
        )
        return {r.source_key: Stored(r.id, r.content_hash, r.active) for r in rows}

    def _values(self, record: FacilityRecord, digest: str) -> dict[str, Any]:
        values = {name: getattr(record, name) for name in self._columns}
        values.update(
            source_note=self.source_note,
            source_url=self.source_url,
            facility_types="," + ",".join(sorted(record.facility_types)) + ",",
            services_known=record.services is not None,
            unmapped_services=[
                {"category": category, "name": name} for category, name in record.unmapped_services
            ],
            content_hash=digest,
            active=True,
        )
        values["service_bits_lo"], values["service_bits_hi"] = service_bits(
            record.services or (), record.facility_types
        )
        values.update(
            zip(("geo_x", "geo_y", "geo_z"), _unit(record.latitude, record.longitude), strict=True)
        )
        values["lat_band"] = None if record.latitude is None else lat_band(record.latitude)
        return values

    def insert(
        self, session: Session, records: list[tuple[FacilityRecord, str]], seen_on: date
    ) -> None:
        if not records:
            return
        rows = [
            {
                **self._values(record, digest),
                "source": self.source,
                "source_key": record.key,
                "first_seen": seen_on,
                "last_seen": seen_on,
            }
            for record, digest in records
        ]
        result = session.execute(
            insert(Facility).returning(
                col(Facility.id), col(Facility.source_key), sort_by_parameter_order=True
            ),
            rows,
        )
        ids = {r.source_key: r.id for r in result}
        self._write_services(session, [(ids[record.key], record) for record, _ in records])

    def update(
        self, session: Session, records: list[tuple[int, FacilityRecord, str]], seen_on: date
    ) -> None:
        if not records:
            return
        statement = (
            update(Facility)
            .where(col(Facility.id) == bindparam("row_id"))
            .values(
                last_seen=case(
                    (Facility.last_seen < bindparam("seen_on"), bindparam("seen_on")),
                    else_=Facility.last_seen,
                )
            )
        )
        params = [
            {**self._values(record, digest), "row_id": row_id, "seen_on": seen_on}
            for row_id, record, digest in records
        ]
        session.connection().execute(statement, params)
        ids = [row_id for row_id, _, _ in records]
        session.execute(delete(FacilityService).where(col(FacilityService.facility_id).in_(ids)))
        self._write_services(session, [(row_id, record) for row_id, record, _ in records])

    def _write_services(self, session: Session, pairs: list[tuple[int, FacilityRecord]]) -> None:
        rows = [
            {"facility_id": facility_id, "code": code}
            for facility_id, record in pairs
            for code in sorted(record.services or ())
        ]
        if not rows:
            return
        connection = session.connection()
        if connection.dialect.name == "postgresql":
            # COPY: psycopg otherwise sends an executemany of ~10 rows per facility one
            # statement at a time (600 facilities/s on a first load; bench/import.py).
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            with cursor.copy("COPY facility_service (facility_id, code) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row["facility_id"], row["code"]))
            cursor.close()
        else:
            connection.execute(insert(FacilityService), rows)

    def touch(self, session: Session, ids: list[int], seen_on: date) -> None:
        if ids:
            session.execute(
                update(Facility)
                .where(col(Facility.id).in_(ids), col(Facility.last_seen) < seen_on)
                .values(last_seen=seen_on)
            )

    def active_ids(self, session: Session) -> set[int]:
        query = select(col(Facility.id)).where(
            col(Facility.source) == self.source, col(Facility.active)
        )
        if self.scope_states is not None:
            query = query.where(col(Facility.state).in_(sorted(self.scope_states)))
        return set(session.scalars(query))

    def deactivate(self, session: Session, ids: list[int]) -> None:
        session.execute(update(Facility).where(col(Facility.id).in_(ids)).values(active=False))


SERVICE_BITS_KEY = "service_bits_taxonomy"


def ensure_service_bits(engine: Engine) -> int:
    """Recompute every facility's category bits if the taxonomy changed since they were made.

    Returns:
        How many facilities got new bits (0 when the stored bits are current).
    """
    fingerprint = taxonomy_fingerprint()
    with Session(engine) as session:
        stored = session.get(StoreMeta, SERVICE_BITS_KEY)
        if stored is not None and stored.value == fingerprint:
            return 0
        changed = _recompute_service_bits(session)
        session.merge(StoreMeta(key=SERVICE_BITS_KEY, value=fingerprint))
        session.commit()
    return changed


def _recompute_service_bits(session: Session) -> int:
    codes: dict[int, set[str]] = {}
    for facility_id, code in session.execute(
        select(col(FacilityService.facility_id), col(FacilityService.code))
    ):
        codes.setdefault(facility_id, set()).add(code)
    updates = []
    for row in session.execute(
        select(
            col(Facility.id),
            col(Facility.facility_types),
            col(Facility.service_bits_lo),
            col(Facility.service_bits_hi),
        )
    ):
        lo, hi = service_bits(codes.get(row.id, ()), row.facility_types.strip(",").split(","))
        if (lo, hi) != (row.service_bits_lo, row.service_bits_hi):
            updates.append({"row_id": row.id, "service_bits_lo": lo, "service_bits_hi": hi})
    if updates:
        session.connection().execute(
            update(Facility).where(col(Facility.id) == bindparam("row_id")), updates
        )
    return len(updates)
