"""Facility service rows and the category bits derived from them."""

from __future__ import annotations

import orjson
from sqlalchemy import Engine, bindparam, delete, select, text, update
from sqlmodel import Session, col

from locator.facilities.taxonomy import service_bits, taxonomy_fingerprint
from locator.models import Facility, FacilityService, StoreMeta
from scrapers.facilities import FacilityRecord


def replace_services(
    session: Session, pairs: list[tuple[int, FacilityRecord]], *, grown: bool = False
) -> None:
    """Make the stored service rows of these facilities exactly their records' services.

    ``grown``: the records only add codes to what is stored (a source joined the facility),
    so the rows are added beside the stored ones instead of deleted and rewritten (2,354
    facilities joined by the MH directory on a national first load); on PostgreSQL through a
    staging table, as COPY cannot skip rows already there.
    """
    ids = [facility_id for facility_id, _ in pairs]
    if not ids:
        return
    if grown and session.connection().dialect.name == "postgresql":
        _add_services_staged(session, pairs)
        return
    if not grown:
        session.execute(delete(FacilityService).where(col(FacilityService.facility_id).in_(ids)))
    write_services(session, pairs, skip_existing=grown)


def _add_services_staged(session: Session, pairs: list[tuple[int, FacilityRecord]]) -> None:
    """COPY the rows into a temporary table, then insert only those not stored yet.

    Only the new rows are inserted, so only they pay the per-row foreign-key check.
    """
    connection = session.connection()
    connection.execute(
        text(
            "CREATE TEMPORARY TABLE IF NOT EXISTS facility_service_stage "
            "(facility_id integer, code varchar) ON COMMIT DROP"
        )
    )
    write_services(session, pairs, table="facility_service_stage")
    connection.execute(
        text(
            "INSERT INTO facility_service (facility_id, code) "
            "SELECT facility_id, code FROM facility_service_stage ON CONFLICT DO NOTHING"
        )
    )
    connection.execute(text("TRUNCATE facility_service_stage"))


def write_services(
    session: Session,
    pairs: list[tuple[int, FacilityRecord]],
    *,
    skip_existing: bool = False,
    table: str = "facility_service",
) -> None:
    """Insert the service rows of facilities (~70 a facility in the national directories).

    Straight to the driver: COPY on PostgreSQL (psycopg otherwise sends an executemany one
    statement at a time), the sqlite3 cursor on SQLite (SQLAlchemy's
    per-row parameter processing took 20 of a national first load's 50 seconds).
    ``skip_existing`` (SQLite only) leaves rows already stored as they are; ``table``
    (PostgreSQL only) is where the rows go, a staging table instead of facility_service.
    """
    connection = session.connection()
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if connection.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} (facility_id, code) FROM STDIN") as copy:
                for facility_id, record in pairs:
                    for code in sorted(record.services or ()):
                        copy.write_row((facility_id, code))
        else:
            # One statement a facility, its codes as a JSON array SQLite unpacks itself:
            # binding ~75 rows one by one took twice as long (0.93 s against 0.45 s for
            # the SA directory's 900k rows).
            verb = "INSERT OR IGNORE" if skip_existing else "INSERT"
            cursor.executemany(
                f"{verb} INTO facility_service (facility_id, code) "  # noqa: S608 (a constant)
                "SELECT ?, value FROM json_each(?)",
                [
                    (facility_id, orjson.dumps(sorted(record.services)).decode())
                    for facility_id, record in pairs
                    if record.services
                ],
            )
    finally:
        cursor.close()


SERVICE_TABLE = "facility_service"
_FILL = "facility_service_fill"
_FOREIGN_KEY = "facility_service_facility_id_fkey"


def begin_first_load(session: Session) -> str:
    """Return the table this import's service rows go to: a new one on a first load.

    On PostgreSQL, when the store holds no facility yet, the rows go to a table without
    the foreign key, which finish_first_load checks once (an anti-join) and puts in place of
    the empty facility_service: each row inserted under the key fires its own check (the SA
    directory's first load: 9 s, 6.5 s this way; bench/national.py). Readers are not held: the new
    table is invisible until the commit, the empty one stays readable meanwhile, and other
    writers of facilities wait for the commit (SHARE ROW EXCLUSIVE, which the key's checks
    need at the end anyway).
    """
    connection = session.connection()
    if connection.dialect.name != "postgresql" or _has_facilities(session):
        return SERVICE_TABLE
    connection.execute(text("LOCK TABLE facility IN SHARE ROW EXCLUSIVE MODE"))
    if _has_facilities(session):  # written just before the lock
        return SERVICE_TABLE
    connection.execute(text(f"CREATE TABLE {_FILL} (LIKE {SERVICE_TABLE} INCLUDING DEFAULTS)"))
    return _FILL


def _has_facilities(session: Session) -> bool:
    return bool(session.execute(text("SELECT EXISTS (SELECT 1 FROM facility)")).scalar())


def finish_first_load(session: Session, table: str) -> None:
    """Put the table begin_first_load gave in place of facility_service, keys and all.

    The primary key is built once over the sorted rows and the foreign key validated in one
    pass; facility_service itself is locked (ACCESS EXCLUSIVE, facility first, the order its
    readers take) only for the swap and the commit that follows.
    """
    if table == SERVICE_TABLE:
        return
    for statement in (
        f"ALTER TABLE {_FILL} ADD CONSTRAINT {_FILL}_pkey PRIMARY KEY (facility_id, code)",
        f"ALTER TABLE {_FILL} ADD CONSTRAINT {_FOREIGN_KEY} FOREIGN KEY (facility_id) "
        "REFERENCES facility (id) ON DELETE CASCADE NOT VALID",
        f"ALTER TABLE {_FILL} VALIDATE CONSTRAINT {_FOREIGN_KEY}",
        f"LOCK TABLE facility, {SERVICE_TABLE} IN ACCESS EXCLUSIVE MODE",
        f"DROP TABLE {SERVICE_TABLE}",
        f"ALTER TABLE {_FILL} RENAME TO {SERVICE_TABLE}",
        f"ALTER INDEX {_FILL}_pkey RENAME TO {SERVICE_TABLE}_pkey",
    ):
        session.execute(text(statement))


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
