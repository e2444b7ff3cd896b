"""SQLModel tables: what the store keeps, with where each row came from and when.

Roles: the ``table=True`` classes are the store; plain dataclasses elsewhere carry rows to the
views. Every listing keeps ``source``, ``source_note``, ``first_seen`` and ``last_seen`` so a
page can always say where a fact came from and how old it is. Imports never hard-delete a row:
a site missing from a full refresh gets ``active = False`` and keeps its history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC (SQLModel stores it as UTC)."""
    return datetime.now(UTC)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class Facility(SQLModel, table=True):
    """One physical treatment site (the SA and MH rows of one site are merged)."""

    __table_args__ = (
        UniqueConstraint("source", "source_key", name="uq_facility_source_key"),
        Index("ix_facility_state_active", "state", "active"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64)
    source_key: str = Field(max_length=64)
    source_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source_url: str = Field(default="", max_length=500)
    name: str = Field(max_length=300)
    name2: str = Field(default="", max_length=300)
    street1: str = Field(default="", max_length=300)
    street2: str = Field(default="", max_length=300)
    city: str = Field(default="", max_length=120)
    state: str = Field(default="", max_length=2)
    zip: str = Field(default="", max_length=10)
    county: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=40)
    intake_phone: str = Field(default="", max_length=40)
    hotline_phone: str = Field(default="", max_length=40)
    website: str = Field(default="", max_length=500)
    latitude: float | None = None
    longitude: float | None = None
    # Spatial index key and unit vector (locator.geo.lat_band, unit_vector): a search seeks
    # the latitude bands of its box and ranks candidates by a dot product in SQL.
    lat_band: int | None = None
    geo_x: float | None = None
    geo_y: float | None = None
    geo_z: float | None = None
    location_approximate: bool = False
    facility_types: str = Field(default="", max_length=60)  # ",MH,SA," for LIKE filters
    services_known: bool = True
    # One bit per user-facing category (locator.taxonomy.category_mask), derived from the
    # codes in FacilityService; copied into the spatial index so filters need no join.
    service_bits_lo: int = Field(default=0, sa_type=BigInteger)
    service_bits_hi: int = Field(default=0, sa_type=BigInteger)
    # The same codes as its FacilityService rows, sorted and comma-joined ("BU,DT,OP"), written
    # with them: a search result lists them from its own row (migration 0016).
    service_codes: str = Field(
        default="", sa_column=Column(Text, nullable=False, default="", server_default="")
    )
    unmapped_services: list[dict[str, str]] = _json_list()  # [{category, name}] kept raw
    first_seen: date
    last_seen: date
    source_updated: date | None = None
    active: bool = True
    content_hash: str = Field(default="", max_length=64)


class FacilitySource(SQLModel, table=True):
    """What one source says about one facility: its record, dates and whether it still lists it.

    A facility is the union of its active contributions (scrapers/facilities.py merges them in
    a fixed order, newest source first), so re-importing one source changes only its own row
    here, and a source that stops listing a site withdraws only its own contribution.
    """

    __tablename__ = "facility_source"
    __table_args__ = (
        UniqueConstraint("source", "source_key", name="uq_facility_source_source_key"),
        Index("ix_facility_source_facility", "facility_id"),
        Index("ix_facility_source_active", "source", "active", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", ondelete="CASCADE")
    source: str = Field(max_length=64)
    source_key: str = Field(max_length=64)
    source_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source_url: str = Field(default="", max_length=500)
    state: str = Field(default="", max_length=2)
    # The date the source's data describes (a directory's publication, a sweep's day): the
    # merge puts the newest first.
    as_of: date
    first_seen: date
    last_seen: date
    active: bool = True
    content_hash: str = Field(default="", max_length=64)
    record: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class ServiceCode(SQLModel, table=True):
    """One SAMHSA service code of one vintage of the codebook."""

    __tablename__ = "service_code"

    vintage: str = Field(primary_key=True, max_length=16)
    code: str = Field(primary_key=True, max_length=16)
    category_code: str = Field(max_length=16)
    category_name: str = Field(max_length=200)
    name: str = Field(max_length=300)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class FacilityService(SQLModel, table=True):
    """A service code a facility offers."""

    __tablename__ = "facility_service"
    # One B-tree, not a table plus its key's index (migration 0010).
    __table_args__ = {"sqlite_with_rowid": False}

    facility_id: int = Field(foreign_key="facility.id", primary_key=True, ondelete="CASCADE")
    code: str = Field(primary_key=True, max_length=16)


class Meeting(SQLModel, table=True):
    """One weekly peer-support meeting (NA, AA, SMART, ...)."""

    __table_args__ = (UniqueConstraint("source", "source_key", name="uq_meeting_source_key"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=300)
    source_key: str = Field(max_length=128)
    fellowship: str = Field(max_length=32, index=True)
    name: str = Field(max_length=300)
    weekday: int | None = None  # 0 = Sunday ... 6 = Saturday, as in the Meeting Guide spec
    start_time: time | None = None
    duration_minutes: int | None = None
    time_zone: str = Field(default="", max_length=64)
    time_zone_inferred: bool = False
    attendance: str = Field(default="in_person", max_length=16)  # in_person, online, hybrid
    location_name: str = Field(default="", max_length=300)
    street: str = Field(default="", max_length=300)
    city: str = Field(default="", max_length=120)
    state: str = Field(default="", max_length=2)
    postal_code: str = Field(default="", max_length=10)
    latitude: float | None = None
    longitude: float | None = None
    lat_band: int | None = None
    geo_x: float | None = None
    geo_y: float | None = None
    geo_z: float | None = None
    online_url: str = Field(default="", max_length=1000)
    online_phone: str = Field(default="", max_length=200)
    formats: list[str] = _json_list()
    formats_original: list[str] = _json_list()
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    first_seen: date
    last_seen: date
    active: bool = True
    content_hash: str = Field(default="", max_length=64)
    # Added by migration 0005 (meetings import and search).
    start_minute: int | None = None  # minutes after local midnight, for time-of-day filters
    format_codes: str = Field(default="", max_length=500)  # ",O,X,S," for LIKE filters
    format_names: list[str] = _json_list()
    source_url: str = Field(default="", max_length=500)
    source_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    location_approximate: bool = False
    schedule_note: str = Field(default="", max_length=300)
    also_listed: list[str] = _json_list()  # keys of duplicates merged into this row
    # Added by migration 0015: the row another source already lists as this same meeting
    # (scrapers/meeting_merge.py, same_meeting); searches show that row, not this one.
    duplicate_of: int | None = None


# Online meetings have no coordinates, so "online, starting soon" seeks this index by
# attendance and weekday instead of the spatial one (migration 0005); its time zone (0015)
# lets that search count the candidates per zone, weekday and minute from the index alone.
Index(
    "ix_meeting_schedule",
    Meeting.__table__.c.active,  # type: ignore[attr-defined]
    Meeting.__table__.c.attendance,  # type: ignore[attr-defined]
    Meeting.__table__.c.weekday,  # type: ignore[attr-defined]
    Meeting.__table__.c.start_minute,  # type: ignore[attr-defined]
    Meeting.__table__.c.time_zone,  # type: ignore[attr-defined]
    Meeting.__table__.c.duplicate_of,  # type: ignore[attr-defined]
)


class MeetingFormat(SQLModel, table=True):
    """One format a BMLT root server defines: its key, name and shared meaning (world_id).

    Kept from every answer that carries format definitions, so an answer without them
    (a bare GetSearchResults file) reads the meetings' format keys the same way.
    """

    __tablename__ = "meeting_format"

    server_url: str = Field(primary_key=True, max_length=500)
    key: str = Field(primary_key=True, max_length=64)
    name: str = Field(default="", max_length=300)
    world_id: str = Field(default="", max_length=64)
    kind: str = Field(default="", max_length=64)
    last_seen: date


class StateLaw(SQLModel, table=True):
    """The reviewed kratom-law status of one state or territory (locator/laws/status.py reads it).

    ``status`` describes kratom itself (the leaf and its natural alkaloids); the 7-OH rule is
    kept apart in ``seven_oh_rule`` because a 7-OH ban is not a kratom ban. ``sources`` are
    ``{url, title, official}`` with official ones first; ``pending_bills`` are
    ``{bill, status}``. Only a person changes a row (``locator laws review``).
    """

    __tablename__ = "state_law"

    state: str = Field(primary_key=True, max_length=2)
    status: str = Field(default="unknown", max_length=20, index=True)
    law_name: str = Field(default="", max_length=300)
    citation: str = Field(default="", max_length=300)
    enacted_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    minimum_age: int | None = None
    covers: list[str] = _json_list()
    seven_oh_rule: dict[str, Any] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    pending_bills: list[dict[str, str]] = _json_list()
    sources: list[dict[str, Any]] = _json_list()
    verified_on: date | None = None
    confidence: str = Field(default="", max_length=1)  # H, M, L; empty when nothing is known
    unconfirmed: bool = False
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class LocalRestriction(SQLModel, table=True):
    """A city or county rule on kratom or 7-OH inside a state."""

    __tablename__ = "local_restriction"

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=2, index=True)
    place: str = Field(default="", max_length=200)
    county: str = Field(default="", max_length=200)
    kind: str = Field(max_length=40)
    source_url: str = Field(default="", max_length=500)
    notes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    verified_on: date | None = None
    unconfirmed: bool = False  # added by migration 0007


class FederalAction(SQLModel, table=True):
    """A dated federal action on kratom or 7-OH (FDA, DEA, Congress), shown on every state."""

    __tablename__ = "federal_action"

    key: str = Field(primary_key=True, max_length=64)  # e.g. FR-2026-13580
    agency: str = Field(max_length=40)
    action: str = Field(max_length=500)
    acted_on: date
    status: str = Field(max_length=32)
    citation: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=500)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class LawChangeProposal(SQLModel, table=True):
    """Something a watched source changed that may change a law row: never applied unreviewed."""

    __tablename__ = "law_change_proposal"
    __table_args__ = (Index("ix_law_change_proposal_status", "status", "found_at"),)

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(default="", max_length=2)  # empty: federal or not tied to one state
    source: str = Field(max_length=32)  # wikipedia, federal_register, official_page, expiry
    url: str = Field(default="", max_length=1000)
    title: str = Field(default="", max_length=500)
    fingerprint: str = Field(default="", max_length=200)  # revision id, hash, document number
    previous_fingerprint: str = Field(default="", max_length=200)
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    diff: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    proposed: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)  # pending, accepted, rejected
    found_at: datetime = Field(default_factory=utcnow)
    reviewed_at: datetime | None = None
    review_note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class LawHistory(SQLModel, table=True):
    """A reviewed change to a state's law row: what it was, what it became, and why."""

    __tablename__ = "law_history"

    id: int | None = Field(default=None, primary_key=True)
    state: str = Field(max_length=2, index=True)
    changed_at: datetime = Field(default_factory=utcnow)
    proposal_id: int | None = Field(default=None, foreign_key="law_change_proposal.id")
    before: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    after: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class LawSourceVersion(SQLModel, table=True):
    """Each distinct version of a watched source as fetched, kept for provenance and diffing."""

    __tablename__ = "law_source_version"
    __table_args__ = (Index("ix_law_source_version_url", "source", "url", "fetched_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    url: str = Field(max_length=1000)
    fingerprint: str = Field(default="", max_length=200)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    fetched_at: datetime = Field(default_factory=utcnow)


class LawSourceCheck(SQLModel, table=True):
    """The last state seen of one watched law source: revision id or content hash, and text."""

    __tablename__ = "law_source_check"
    __table_args__ = (UniqueConstraint("source", "url", name="uq_law_source_check"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=32)
    url: str = Field(max_length=1000)
    state: str = Field(default="", max_length=2)
    fingerprint: str = Field(default="", max_length=200)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    checked_at: datetime = Field(default_factory=utcnow)
    changed_at: datetime | None = None
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class ImportRun(SQLModel, table=True):
    """One run of an importer, with its counts and the reasons rows were rejected."""

    __tablename__ = "import_run"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(max_length=64, index=True)
    started_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
    status: str = Field(default="running", max_length=16)  # running, ok, failed, partial
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    rejected: int = 0
    # Added by migration 0010: rows folded into another row of the same input, and new
    # contributions to a facility another source already lists.
    merged: int = 0
    joined: int = 0
    input_digest: str = Field(default="", max_length=64)  # a file's bytes + the parser version
    rejects: list[dict[str, Any]] = _json_list()
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    # Service names/codes no codebook knows, kept raw on the facilities: how many rows carried
    # one, and the most frequent ones ({"TC: Some new name": rows}).
    unknown_services: int = 0
    unknown_names: dict[str, int] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False, default=dict)
    )


class ProblemReport(SQLModel, table=True):
    """Someone's report that a listing is wrong, kept for a person to review.

    The listing's name and source key are copied in, so the report still says what it was
    about after the listing changes. No address of the sender is kept: ``sender`` is a salted
    hash of it that changes every day, enough to slow a flood and nothing more.
    """

    __tablename__ = "problem_report"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # facility, meeting
    listing_id: int = Field(index=True)
    listing_source: str = Field(max_length=64)
    listing_key: str = Field(max_length=512)
    listing_name: str = Field(max_length=512)
    problem: str = Field(max_length=32)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(default_factory=utcnow, index=True)
    sender: str = Field(max_length=64, index=True)
    status: str = Field(default="new", max_length=16)  # new, reviewed, dismissed


class GeocodeCache(SQLModel, table=True):
    """A place an online geocoder found, so the same query is asked only once."""

    __tablename__ = "geocode_cache"

    query: str = Field(primary_key=True, max_length=300)
    provider: str = Field(max_length=32)
    latitude: float
    longitude: float
    label: str = Field(default="", max_length=500)
    state: str = Field(default="", max_length=2)
    created_at: datetime = Field(default_factory=utcnow)


class JobLock(SQLModel, table=True):
    """Who runs a job right now (SQLite; PostgreSQL uses advisory locks instead)."""

    __tablename__ = "job_lock"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=200)
    acquired_at: datetime
    expires_at: datetime


class StoreMeta(SQLModel, table=True):
    """Facts about the store itself, e.g. which taxonomy the service bits were built with."""

    __tablename__ = "store_meta"

    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=500)


class AdminUser(SQLModel, table=True):
    """Someone who may sign in to /admin; the password is kept only as a scrypt hash."""

    __tablename__ = "admin_user"

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True)
    password_hash: str = Field(max_length=256)
    # admin: every /admin page; coordinator: records phone calls and sees their own exports
    # (added by migration 0013).
    role: str = Field(default="admin", max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    last_login_at: datetime | None = None
    # Raised at sign-out: a session cookie carries the epoch it was issued in, so a cookie
    # saved before the sign-out no longer opens anything.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class AuditLog(SQLModel, table=True):
    """One admin action: who did what to which record, when, from which (hashed) address."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    username: str = Field(max_length=64, index=True)
    action: str = Field(max_length=64)
    target: str = Field(default="", max_length=200)
    detail: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    address_hash: str = Field(default="", max_length=64)


class PhoneConfirmation(SQLModel, table=True):
    """A coordinator's phone call to a facility: when, what they heard, what was confirmed.

    ``username`` is kept for the audit trail and the admin pages only; public pages, the API
    and the exports show the date, outcome and confirmed services, never who called.
    """

    __tablename__ = "phone_confirmation"
    __table_args__ = (Index("ix_phone_confirmation_facility", "facility_id", "called_on"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", ondelete="CASCADE")
    called_on: date = Field(index=True)
    outcome: str = Field(max_length=32)  # locator/admin/confirmations.py OUTCOMES
    wait_days: int | None = None
    confirmed: list[str] = _json_list()  # service codes confirmed on the call
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    username: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class FacilityCorrection(SQLModel, table=True):
    """An admin-accepted correction that overrides what the sources say about one field.

    ``source_value`` is what the sources said when it was accepted: while they still say it,
    every rebuild of the facility applies ``value``; once they say something else the
    correction stops applying and waits for review (status ``review``).
    """

    __tablename__ = "facility_correction"
    __table_args__ = (Index("ix_facility_correction_facility", "facility_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    facility_id: int = Field(foreign_key="facility.id", ondelete="CASCADE")
    field: str = Field(max_length=32)  # phone, closed, service
    value: str = Field(default="", max_length=200)  # the new phone, or the service code
    source_value: str = Field(default="", max_length=200)
    called_on: date
    status: str = Field(default="active", max_length=16)  # active, review, withdrawn
    report_id: int | None = None
    accepted_by: str = Field(max_length=64)
    accepted_at: datetime = Field(default_factory=utcnow)
