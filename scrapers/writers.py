"""What the store writers share: one source's rows of a table keyed by (source, source_key).

``MeetingWriter`` keeps meetings in ``meeting``; ``FacilityWriter`` keeps each source's
contribution in ``facility_source``. Both look rows up, update them and retire them the same
way; what differs (the columns, what else a write rebuilds) stays in each writer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar

from sqlalchemy import Select, bindparam, case, select, update
from sqlmodel import Session, col

from scrapers.base import Stored


@dataclass
class KeyedRows:
    """Reads and writes the rows of ``table`` that one ``source`` lists."""

    source: str
    table: ClassVar[Any]  # the SQLModel class: Meeting, FacilitySource

    def existing(self, session: Session, keys: list[str]) -> dict[str, Stored]:
        """Return the stored rows of these keys: id, content hash, active."""
        table = self.table
        rows = session.execute(
            select(
                col(table.id), col(table.source_key), col(table.content_hash), col(table.active)
            ).where(col(table.source) == self.source, col(table.source_key).in_(keys))
        )
        return {r.source_key: Stored(r.id, r.content_hash, r.active) for r in rows}

    def _update_rows(self, session: Session, params: list[dict[str, Any]], seen_on: date) -> None:
        """Write new values to rows by ``row_id``; ``last_seen`` only ever moves forward."""
        table = self.table
        statement = (
            update(table)
            .where(col(table.id) == bindparam("row_id"))
            .values(
                last_seen=case(
                    (table.last_seen < bindparam("seen_on"), bindparam("seen_on")),
                    else_=table.last_seen,
                )
            )
        )
        session.connection().execute(statement, [{**row, "seen_on": seen_on} for row in params])

    def _active_rows(self, sources: tuple[str, ...] = ()) -> Select[Any]:
        """Select the ids of the active rows of this source (and of ``sources``)."""
        table = self.table
        return select(col(table.id)).where(
            col(table.source).in_((self.source, *sources)), col(table.active)
        )

    def _retire_rows(self, session: Session, ids: list[int]) -> None:
        table = self.table
        session.execute(update(table).where(col(table.id).in_(ids)).values(active=False))
