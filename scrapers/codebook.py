"""SAMHSA's Service Code Reference, stored per vintage inside the importing run's transaction."""

from __future__ import annotations

from sqlmodel import Session, col, select

from locator.models import ServiceCode


def store_reference(session: Session, vintage: str, reference: list[dict[str, str]]) -> int:
    """Add a workbook's Service Code Reference to its vintage, inside the import's transaction.

    A vintage is the union of every publication that shares it (the SA and MH directories of
    2022 list different codes): codes are added or updated, never removed.

    Returns:
        How many codes were added or changed.
    """
    if not reference:
        return 0
    stored = {
        row.code: row
        for row in session.scalars(select(ServiceCode).where(col(ServiceCode.vintage) == vintage))
    }
    changed = 0
    for row in reference:
        values = {
            "category_code": row["category_code"],
            "category_name": row["category_name"],
            "name": row["service_name"],
            "description": row.get("service_description", ""),
        }
        found = stored.get(row["service_code"])
        if found is None:
            found = ServiceCode(vintage=vintage, code=row["service_code"], **values)
            stored[found.code] = found
        elif all(getattr(found, key) == value for key, value in values.items()):
            continue
        for key, value in values.items():
            setattr(found, key, value)
        session.add(found)
        changed += 1
    session.flush()
    return changed
