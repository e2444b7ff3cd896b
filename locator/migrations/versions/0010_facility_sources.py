"""facility sources: what each source says about a facility, kept apart and unioned

Until now a facility row held whatever the last import wrote, so importing SAMHSA's
mental-health directory after the substance-use one replaced the site's SA services. Each
source's record now lives in facility_source; the facility row is the union of its active
contributions. Existing facilities get one contribution each, made from their own columns and
services, so nothing already stored is lost and an unchanged re-import stays unchanged.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_RECORD_COLUMNS = (
    "name",
    "state",
    "name2",
    "street1",
    "street2",
    "city",
    "zip",
    "county",
    "phone",
    "intake_phone",
    "hotline_phone",
    "website",
    "latitude",
    "longitude",
    "location_approximate",
)


def upgrade() -> None:
    op.create_table(
        "facility_source",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "facility_id",
            sa.Integer(),
            sa.ForeignKey("facility.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("source_key", sa.String(64), nullable=False),
        sa.Column("source_note", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(500), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.UniqueConstraint("source", "source_key", name="uq_facility_source_source_key"),
    )
    op.create_index("ix_facility_source_facility", "facility_source", ["facility_id"])
    op.create_index("ix_facility_source_active", "facility_source", ["source", "active", "state"])
    with op.batch_alter_table("import_run") as batch:
        batch.add_column(sa.Column("merged", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("joined", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("input_digest", sa.String(64), nullable=False, server_default="")
        )
    _backfill(op.get_bind())
    if op.get_bind().dialect.name == "sqlite":
        _service_table_without_rowid()


def _service_table_without_rowid() -> None:
    """Keep facility_service in its primary key's own B-tree on SQLite (WITHOUT ROWID).

    A national load writes 1.3 million (facility, code) rows; as a rowid table each went into
    the table and into the key's separate index, half of the load's write time.
    """
    op.execute(
        "CREATE TABLE facility_service_new (facility_id INTEGER NOT NULL, "
        "code VARCHAR(16) NOT NULL, PRIMARY KEY (facility_id, code), "
        "FOREIGN KEY(facility_id) REFERENCES facility (id) ON DELETE CASCADE) WITHOUT ROWID"
    )
    op.execute("INSERT INTO facility_service_new SELECT facility_id, code FROM facility_service")
    op.execute("DROP TABLE facility_service")
    op.execute("ALTER TABLE facility_service_new RENAME TO facility_service")


def _backfill(bind: sa.Connection) -> None:
    """Give every stored facility one contribution holding what it says now."""
    services: dict[int, list[str]] = {}
    for facility_id, code in bind.execute(
        sa.text("SELECT facility_id, code FROM facility_service ORDER BY facility_id, code")
    ):
        services.setdefault(facility_id, []).append(code)
    columns: list[sa.ColumnClause[Any]] = [
        sa.column(n) for n in _CONTRIBUTION_COLUMNS if n != "record"
    ]
    facility = sa.table("facility_source", *columns, sa.column("record", sa.JSON))
    rows = [
        _contribution(dict(row._mapping), services.get(row.id, []))
        for row in bind.execute(sa.text("SELECT * FROM facility"))
    ]
    for start in range(0, len(rows), 500):
        bind.execute(sa.insert(facility), rows[start : start + 500])


_CONTRIBUTION_COLUMNS = (
    "facility_id",
    "source",
    "source_key",
    "source_note",
    "source_url",
    "state",
    "as_of",
    "first_seen",
    "last_seen",
    "active",
    "content_hash",
    "record",
)


def _contribution(row: dict[str, Any], codes: list[str]) -> dict[str, Any]:
    record: dict[str, Any] = {name: row[name] for name in _RECORD_COLUMNS}
    record["location_approximate"] = bool(record["location_approximate"])
    updated = row["source_updated"]
    record.update(
        key=row["source_key"],
        facility_types=sorted(t for t in row["facility_types"].split(",") if t),
        services=codes if row["services_known"] else None,
        unmapped_services=[
            [item["category"], item["name"]] for item in _json(row["unmapped_services"])
        ],
        source_updated=str(updated)[:10] if updated else None,
    )
    return {
        "facility_id": row["id"],
        "source": row["source"],
        "source_key": row["source_key"],
        "source_note": row["source_note"],
        "source_url": row["source_url"],
        "state": row["state"],
        "as_of": row["last_seen"],
        "first_seen": row["first_seen"],
        "last_seen": row["last_seen"],
        "active": bool(row["active"]),
        "content_hash": row["content_hash"],
        "record": record,
    }


def _json(value: Any) -> list[dict[str, str]]:
    if isinstance(value, str):  # SQLite hands JSON back as text through a plain SELECT
        loaded: list[dict[str, str]] = json.loads(value)
        return loaded
    return list(value or [])


def downgrade() -> None:
    with op.batch_alter_table("import_run") as batch:
        batch.drop_column("input_digest")
        batch.drop_column("joined")
        batch.drop_column("merged")
    op.drop_table("facility_source")
