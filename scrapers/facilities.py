"""Facility records as importers produce them, and the writer that stores them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from functools import reduce
from typing import Any

from sqlalchemy import Engine, bindparam, case, delete, insert, select, update
from sqlmodel import Session, col

from locator.facilities.taxonomy import service_bits, taxonomy_fingerprint
from locator.models import Facility, FacilityService, FacilitySource, StoreMeta
from locator.places.geo import lat_band, unit_vector
from locator.text import clean, fold
from scrapers.base import BATCH_SIZE, Stored, content_hash

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

    The programme name (name2) is left out on purpose: the SA and MH rows of one site often
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
    one; services, facility types and programme names are unioned.
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


def _unit(lat: float | None, lon: float | None) -> tuple[float | None, ...]:
    return (None, None, None) if lat is None or lon is None else unit_vector(lat, lon)


_FACILITY_COLUMNS = (
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
)


def facility_values(record: FacilityRecord, digest: str = "") -> dict[str, Any]:
    """Return the facility columns a (merged) record sets, spatial index columns included.

    ``digest`` is the record's content hash where the caller has it already.
    """
    values = {name: getattr(record, name) for name in _FACILITY_COLUMNS}
    values.update(
        facility_types="," + ",".join(sorted(record.facility_types)) + ",",
        services_known=record.services is not None,
        unmapped_services=[
            {"category": category, "name": name} for category, name in record.unmapped_services
        ],
        content_hash=digest or content_hash(record.fingerprint()),
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


@dataclass(frozen=True, slots=True)
class _Contribution:
    """A stored contribution, as the union of a facility reads it."""

    source: str
    as_of: date
    active: bool
    first_seen: date
    last_seen: date
    source_note: str
    source_url: str
    record: dict[str, Any]

    @property
    def order(self) -> tuple[int, str]:
        """Newest source first; sources of one date by name, so import order never matters."""
        return (-self.as_of.toordinal(), self.source)


def union(contributions: list[_Contribution]) -> tuple[FacilityRecord, dict[str, Any]] | None:
    """Merge a facility's active contributions into one record and its provenance columns.

    Returns:
        None when no source lists the facility any more.
    """
    active = sorted((c for c in contributions if c.active), key=lambda c: c.order)
    if not active:
        return None
    record = reduce(merge_facilities, (FacilityRecord.from_json(c.record) for c in active))
    notes = list(dict.fromkeys(c.source_note.rstrip(".") for c in active if c.source_note))
    provenance = {
        "source_note": "; ".join(notes) + "." if notes else "",
        "source_url": next((c.source_url for c in active if c.source_url), ""),
        "first_seen": min(c.first_seen for c in contributions),
        "last_seen": max(c.last_seen for c in active),
    }
    return record, provenance


@dataclass
class FacilityWriter:
    """Stores one source's FacilityRecords as its contributions to facilities (the Writer).

    ``source`` names the contributing source (``samhsa-sa-2022``, ``samhsa`` for the live
    sweep); ``family`` the facilities' namespace: every source of one family that gives a site
    the same key contributes to one facility. Each write rebuilds the touched facilities from
    all their active contributions, so no source's listing replaces another's.
    """

    source: str
    source_note: str
    source_url: str = ""
    family: str = ""
    as_of: date | None = None  # what date the source's data describes; default: the run's day
    scope_states: frozenset[str] | None = None
    # With a full refresh: other sources whose contribution to a site this one no longer lists
    # is withdrawn too (a complete national sweep retires the 2022 directories' listings).
    retires: tuple[str, ...] = ()
    tables: tuple[str, ...] = ("facility", "facility_service", "facility_source")
    joined: int = 0  # contributions added to a facility another source already lists
    # The facilities this run listed, kept only when it retires other sources' parts.
    listed: set[int] = field(default_factory=set)

    @property
    def site_source(self) -> str:
        return self.family or self.source

    def merge(self, first: FacilityRecord, second: FacilityRecord) -> FacilityRecord:
        return merge_facilities(first, second)

    def existing(self, session: Session, keys: list[str]) -> dict[str, Stored]:
        rows = session.execute(
            select(
                col(FacilitySource.id),
                col(FacilitySource.source_key),
                col(FacilitySource.content_hash),
                col(FacilitySource.active),
            ).where(
                col(FacilitySource.source) == self.source, col(FacilitySource.source_key).in_(keys)
            )
        )
        return {r.source_key: Stored(r.id, r.content_hash, r.active) for r in rows}

    def insert(
        self, session: Session, records: list[tuple[FacilityRecord, str]], seen_on: date
    ) -> None:
        if not records:
            return
        keys = [record.key for record, _ in records]
        sites: dict[str, int] = {
            key: facility_id
            for key, facility_id in session.execute(
                select(col(Facility.source_key), col(Facility.id)).where(
                    col(Facility.source) == self.site_source, col(Facility.source_key).in_(keys)
                )
            )
        }
        fresh = [(record, digest) for record, digest in records if record.key not in sites]
        sites.update(self._insert_facilities(session, fresh, seen_on))
        session.connection().execute(
            insert(FacilitySource.__table__),  # type: ignore[attr-defined]
            [
                {
                    **self._contribution(record, digest, seen_on),
                    "facility_id": sites[record.key],
                    "source_key": record.key,
                    "first_seen": seen_on,
                }
                for record, digest in records
            ],
        )
        fresh_keys = {record.key for record, _ in fresh}
        joined = [sites[key] for key in keys if key not in fresh_keys]
        self._listing(joined)
        self.joined += len(joined)
        self.rebuild(session, joined)

    def _insert_facilities(
        self, session: Session, fresh: list[tuple[FacilityRecord, str]], seen_on: date
    ) -> dict[str, int]:
        """Insert facilities listed by this source alone so far, services included."""
        if not fresh:
            return {}
        note = self.source_note
        rows = [
            {
                **facility_values(record, digest),
                "source_note": note,
                "source_url": self.source_url,
                "source": self.site_source,
                "source_key": record.key,
                "first_seen": seen_on,
                "last_seen": seen_on,
            }
            for record, digest in fresh
        ]
        # Core statements on the tables: the ORM's bulk path costs more than the rows.
        table = Facility.__table__  # type: ignore[attr-defined]
        result = session.connection().execute(
            insert(table).returning(table.c.id, table.c.source_key, sort_by_parameter_order=True),
            rows,
        )
        ids = {r.source_key: r.id for r in result}
        _write_services(session, [(ids[record.key], record) for record, _ in fresh])
        return ids

    def _contribution(self, record: FacilityRecord, digest: str, seen_on: date) -> dict[str, Any]:
        return {
            "source": self.source,
            "source_note": self.source_note,
            "source_url": self.source_url,
            "state": record.state,
            "as_of": self.as_of or seen_on,
            "last_seen": seen_on,
            "active": True,
            "content_hash": digest,
            "record": record.to_json(),
        }

    def update(
        self, session: Session, records: list[tuple[int, FacilityRecord, str]], seen_on: date
    ) -> None:
        if not records:
            return
        statement = (
            update(FacilitySource)
            .where(col(FacilitySource.id) == bindparam("row_id"))
            .values(
                last_seen=case(
                    (FacilitySource.last_seen < bindparam("seen_on"), bindparam("seen_on")),
                    else_=FacilitySource.last_seen,
                )
            )
        )
        params = [
            {**self._contribution(record, digest, seen_on), "row_id": row_id, "seen_on": seen_on}
            for row_id, record, digest in records
        ]
        for row in params:
            del row["last_seen"]
        session.connection().execute(statement, params)
        facilities = self._facilities_of(session, [row_id for row_id, _, _ in records])
        self._listing(facilities)
        self.rebuild(session, facilities)

    def touch(self, session: Session, ids: list[int], seen_on: date) -> None:
        if not ids:
            return
        if self.retires:
            self._listing(self._facilities_of(session, ids))
        session.execute(
            update(FacilitySource)
            .where(col(FacilitySource.id).in_(ids), col(FacilitySource.last_seen) < seen_on)
            .values(last_seen=seen_on)
        )
        session.execute(
            update(Facility)
            .where(
                col(Facility.id).in_(
                    select(col(FacilitySource.facility_id)).where(col(FacilitySource.id).in_(ids))
                ),
                col(Facility.last_seen) < seen_on,
            )
            .values(last_seen=seen_on)
        )

    def touch_source(self, session: Session, seen_on: date) -> None:
        """Mark every listing this source still lists as seen on ``seen_on`` (same input)."""
        listed = select(col(FacilitySource.id)).where(
            col(FacilitySource.source) == self.source, col(FacilitySource.active)
        )
        ids: list[int] = [row_id for row_id in session.scalars(listed) if row_id is not None]
        for start in range(0, len(ids), BATCH_SIZE):
            self.touch(session, ids[start : start + BATCH_SIZE], seen_on)

    def active_ids(self, session: Session) -> set[int]:
        query = select(col(FacilitySource.id)).where(
            col(FacilitySource.source).in_((self.source, *self.retires)),
            col(FacilitySource.active),
        )
        if self.scope_states is not None:
            query = query.where(col(FacilitySource.state).in_(sorted(self.scope_states)))
        return set(session.scalars(query))

    def _listing(self, facility_ids: list[int]) -> None:
        if self.retires:
            self.listed.update(facility_ids)

    def also_seen(self, session: Session, seen: set[int]) -> set[int]:
        """Return the retired sources' contributions to the sites this run listed (kept)."""
        if not self.retires or not self.listed:
            return set()
        kept: set[int] = set()
        ids = sorted(self.listed)
        for start in range(0, len(ids), BATCH_SIZE):
            kept.update(
                session.scalars(
                    select(col(FacilitySource.id)).where(
                        col(FacilitySource.source).in_(self.retires),
                        col(FacilitySource.facility_id).in_(ids[start : start + BATCH_SIZE]),
                    )
                )
            )
        return kept

    def deactivate(self, session: Session, ids: list[int]) -> None:
        session.execute(
            update(FacilitySource).where(col(FacilitySource.id).in_(ids)).values(active=False)
        )
        self.rebuild(session, self._facilities_of(session, ids))

    def _facilities_of(self, session: Session, contribution_ids: list[int]) -> list[int]:
        return list(
            session.scalars(
                select(col(FacilitySource.facility_id))
                .where(col(FacilitySource.id).in_(contribution_ids))
                .distinct()
            )
        )

    def rebuild(self, session: Session, facility_ids: list[int]) -> None:
        """Make each facility the union of its active contributions (inactive when none)."""
        for start in range(0, len(facility_ids), BATCH_SIZE):
            self._rebuild_batch(session, facility_ids[start : start + BATCH_SIZE])

    def _rebuild_batch(self, session: Session, facility_ids: list[int]) -> None:
        grouped: dict[int, list[_Contribution]] = {}
        rows = session.execute(
            select(
                col(FacilitySource.facility_id),
                col(FacilitySource.source),
                col(FacilitySource.as_of),
                col(FacilitySource.active),
                col(FacilitySource.first_seen),
                col(FacilitySource.last_seen),
                col(FacilitySource.source_note),
                col(FacilitySource.source_url),
                col(FacilitySource.record),
            ).where(col(FacilitySource.facility_id).in_(facility_ids))
        )
        for facility_id, *fields_ in rows:
            grouped.setdefault(facility_id, []).append(_Contribution(*fields_))
        listed: list[tuple[int, FacilityRecord]] = []
        params: list[dict[str, Any]] = []
        gone: list[int] = []
        for facility_id in facility_ids:
            merged = union(grouped.get(facility_id, []))
            if merged is None:
                gone.append(facility_id)
                continue
            record, provenance = merged
            listed.append((facility_id, record))
            params.append({**facility_values(record), **provenance, "row_id": facility_id})
        if params:
            session.connection().execute(
                update(Facility).where(col(Facility.id) == bindparam("row_id")), params
            )
            ids = [facility_id for facility_id, _ in listed]
            session.execute(
                delete(FacilityService).where(col(FacilityService.facility_id).in_(ids))
            )
            _write_services(session, listed)
        if gone:
            session.execute(update(Facility).where(col(Facility.id).in_(gone)).values(active=False))


def _write_services(session: Session, pairs: list[tuple[int, FacilityRecord]]) -> None:
    """Insert the service rows of facilities (~70 a facility in the national directories).

    Straight to the driver: COPY on PostgreSQL (psycopg otherwise sends an executemany one
    statement at a time), the sqlite3 cursor's executemany on SQLite (SQLAlchemy's
    per-row parameter processing took 20 of a national first load's 50 seconds).
    """
    rows = [
        (facility_id, code)
        for facility_id, record in pairs
        for code in sorted(record.services or ())
    ]
    if not rows:
        return
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy("COPY facility_service (facility_id, code) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                "INSERT INTO facility_service (facility_id, code) VALUES (?, ?)", rows
            )
    finally:
        cursor.close()


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


def mark_service_bits_current(engine: Engine) -> None:
    """Record that every stored facility's bits come from the current taxonomy."""
    with Session(engine) as session:
        session.merge(StoreMeta(key=SERVICE_BITS_KEY, value=taxonomy_fingerprint()))
        session.commit()


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
