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
