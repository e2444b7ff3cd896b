"""The facility store writer: each source's records as its contributions, facilities as their union.

A facility is the union of its active contributions (``facility_source``), merged newest
source first and then by name, so the order of imports never matters; every write rebuilds the
facilities it touched. See README "Several sources, one facility".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import reduce
from typing import Any, ClassVar

from sqlalchemy import bindparam, select, update
from sqlmodel import Session, col

from locator.admin import corrections
from locator.facilities.taxonomy import joined_codes, service_bits
from locator.models import Facility, FacilityCorrection, FacilitySource
from locator.places.spatial import index_columns
from scrapers.base import BATCH_SIZE, content_hash
from scrapers.facilities import FacilityRecord, merge_facilities
from scrapers.facility_services import (
    SERVICE_TABLE,
    begin_first_load,
    finish_first_load,
    replace_services,
    write_services,
)
from scrapers.pg_copy import insert_returning_ids, insert_rows
from scrapers.writers import KeyedRows

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
    values["service_codes"] = joined_codes(record.services or ())
    values.update(index_columns(record.latitude, record.longitude))
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
class CorrectionLayer:
    """Admin-accepted corrections (locator/admin/corrections.py), the top layer of the union.

    Applied after the sources are merged, so a re-import rebuilds the same corrected facility;
    a correction whose field a source has since changed is sent back for review instead.
    """

    by_facility: dict[int, list[FacilityCorrection]]
    closed: set[int] = field(default_factory=set)
    to_review: list[int] = field(default_factory=list)

    @classmethod
    def read(cls, session: Session, facility_ids: list[int]) -> CorrectionLayer:
        return cls(corrections.active_corrections(session=session, facility_ids=facility_ids))

    def apply(
        self, facility_id: int, record: FacilityRecord, provenance: dict[str, Any]
    ) -> tuple[FacilityRecord, dict[str, Any]]:
        found = self.by_facility.get(facility_id)
        if not found:
            return record, provenance
        says = corrections.SourceSays(record.phone, record.services or frozenset())
        layer = corrections.overrides(found, says)
        self.to_review.extend(layer.to_review)
        if layer.closed:
            self.closed.add(facility_id)
        if layer.phone is not None:
            record = replace(record, phone=layer.phone)
        if layer.removed_codes and record.services is not None:
            record = replace(record, services=record.services - layer.removed_codes)
        note = corrections.with_notes(provenance["source_note"], layer.notes)
        return record, {**provenance, "source_note": note}

    def send_back(self, session: Session) -> None:
        """Mark the corrections a source contradicted as waiting for review."""
        if self.to_review:
            session.execute(
                update(FacilityCorrection)
                .where(col(FacilityCorrection.id).in_(self.to_review))
                .values(status="review")
            )


@dataclass
class FacilityWriter(KeyedRows):
    """Stores one source's FacilityRecords as its contributions to facilities (the Writer).

    ``source`` names the contributing source (``samhsa-sa-2022``, ``samhsa`` for the live
    sweep); ``family`` the facilities' namespace: every source of one family that gives a site
    the same key contributes to one facility. Each write rebuilds the touched facilities from
    all their active contributions, so no source's listing replaces another's.
    """

    source_note: str
    source_url: str = ""
    family: str = ""
    as_of: date | None = None  # what date the source's data describes; default: the run's day
    scope_states: frozenset[str] | None = None
    # With a full refresh: other sources whose contribution to a site this one no longer lists
    # is withdrawn too (a complete national sweep retires the 2022 directories' listings).
    retires: tuple[str, ...] = ()
    tables: tuple[str, ...] = ("facility", "facility_service", "facility_source")
    table: ClassVar[Any] = FacilitySource
    joined: int = 0  # contributions added to a facility another source already lists
    # The facilities this run listed, kept only when it retires other sources' parts.
    listed: set[int] = field(default_factory=set)
    # Where new facilities' service rows go: a table of their own on a PostgreSQL first load.
    service_table: str = SERVICE_TABLE

    @property
    def site_source(self) -> str:
        return self.family or self.source

    def begin(self, session: Session) -> None:
        """Get ready to write (run_import, in its transaction, before the first row)."""
        self.service_table = begin_first_load(session)

    def finish(self, session: Session) -> None:
        """Complete the writes (run_import, just before its commit)."""
        finish_first_load(session, self.service_table)
        self.service_table = SERVICE_TABLE

    def merge(self, first: FacilityRecord, second: FacilityRecord) -> FacilityRecord:
        return merge_facilities(first, second)

    def insert(
        self, session: Session, records: list[tuple[FacilityRecord, str]], seen_on: date
    ) -> None:
        if not records:
            return
        keys = [record.key for record, _ in records]
        sites: dict[str, int] = {}
        active: set[int] = set()
        for key, facility_id, is_active in session.execute(
            select(col(Facility.source_key), col(Facility.id), col(Facility.active)).where(
                col(Facility.source) == self.site_source, col(Facility.source_key).in_(keys)
            )
        ):
            sites[key] = facility_id
            if is_active:
                active.add(facility_id)
        fresh = [(record, digest) for record, digest in records if record.key not in sites]
        sites.update(self._insert_facilities(session, fresh, seen_on))
        insert_rows(
            session,
            FacilitySource.__table__,  # type: ignore[attr-defined]
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
        # An active facility only gains codes from a new source; an inactive one keeps the
        # codes of sources that no longer list it, so it is rewritten whole.
        self.rebuild(session, [i for i in joined if i in active], grown=True)
        self.rebuild(session, [i for i in joined if i not in active])

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
        # Core statements (COPY on PostgreSQL): the ORM's bulk path costs more than the rows.
        table = Facility.__table__  # type: ignore[attr-defined]
        new_ids = insert_returning_ids(session, table, rows)
        ids = {row["source_key"]: row_id for row, row_id in zip(rows, new_ids, strict=True)}
        write_services(
            session, [(ids[record.key], record) for record, _ in fresh], table=self.service_table
        )
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
        params = [
            {**self._contribution(record, digest, seen_on), "row_id": row_id}
            for row_id, record, digest in records
        ]
        for row in params:
            del row["last_seen"]
        self._update_rows(session, params, seen_on)
        facilities = self._facilities_of(session, [row_id for row_id, _, _ in records])
        self._listing(facilities)
        self.rebuild(session, facilities)

    def touch(self, session: Session, ids: list[int], seen_on: date) -> None:
        if not ids:
            return
        if self.retires:
            self._listing(self._facilities_of(session, ids))
        # Core statements: the ORM's bulk UPDATE looks each id up in the session first.
        connection = session.connection()
        connection.execute(
            update(FacilitySource)
            .where(col(FacilitySource.id).in_(ids), col(FacilitySource.last_seen) < seen_on)
            .values(last_seen=seen_on)
        )
        connection.execute(
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
        query = self._active_rows(self.retires)
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
        self._retire_rows(session, ids)
        self.rebuild(session, self._facilities_of(session, ids))

    def _facilities_of(self, session: Session, contribution_ids: list[int]) -> list[int]:
        return list(
            session.scalars(
                select(col(FacilitySource.facility_id))
                .where(col(FacilitySource.id).in_(contribution_ids))
                .distinct()
            )
        )

    def rebuild(self, session: Session, facility_ids: list[int], *, grown: bool = False) -> None:
        """Make each facility the union of its active contributions (inactive when none).

        ``grown``: each facility only gained a contribution, so its services only grow.
        """
        if facility_ids and self.service_table != SERVICE_TABLE:
            # A first load has no stored facility to rebuild; its rows would miss the new table.
            raise RuntimeError(f"a facility rebuilt during a first load: {facility_ids[:5]}")
        for start in range(0, len(facility_ids), BATCH_SIZE):
            self._rebuild_batch(session, facility_ids[start : start + BATCH_SIZE], grown)

    def _rebuild_batch(self, session: Session, facility_ids: list[int], grown: bool) -> None:
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
        corrections = CorrectionLayer.read(session, facility_ids)
        for facility_id in facility_ids:
            merged = union(grouped.get(facility_id, []))
            if merged is None:
                gone.append(facility_id)
                continue
            record, provenance = corrections.apply(facility_id, *merged)
            listed.append((facility_id, record))
            params.append(
                {
                    **facility_values(record),
                    **provenance,
                    "row_id": facility_id,
                    "active": facility_id not in corrections.closed,
                }
            )
        corrections.send_back(session)
        if params:
            session.connection().execute(
                update(Facility).where(col(Facility.id) == bindparam("row_id")), params
            )
            replace_services(session, listed, grown=grown)
        if gone:
            session.execute(update(Facility).where(col(Facility.id).in_(gone)).values(active=False))
