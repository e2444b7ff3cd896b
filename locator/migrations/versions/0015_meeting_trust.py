"""meeting trust: the formats of each BMLT server, cross-source duplicates, zone in the index

A BMLT answer without format definitions used to wipe the stored formats (and with them the
virtual, hybrid and temporarily-closed signals); each server's formats are now kept in
meeting_format and read back for such answers. A meeting that another source already lists
points at that row (duplicate_of) instead of being shown twice. ix_meeting_schedule gains
time_zone and duplicate_of so "online, starting soon" counts candidates per zone, weekday and
minute from the index alone; ix_spatial_meeting covers duplicate_of too.

Revision ID: 0015
Revises: 0014 (written on 0010; re-chained as 0012-0014 landed)
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_SCHEDULE = ["active", "attendance", "weekday", "start_minute"]
# The spatial index of meetings (0005) also covers duplicate_of, so near searches that leave
# duplicates out still read only the index.
OLD_COVERED = ("geo_x", "geo_y", "geo_z", "active", "weekday", "start_minute", "attendance")
COVERED = (*OLD_COVERED, "duplicate_of")


def _spatial_index(covered: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        columns = f"(lat_band, longitude) INCLUDE ({', '.join((*covered, 'id'))})"
    else:
        columns = f"({', '.join(('lat_band', 'longitude', *covered))})"
    op.execute("DROP INDEX IF EXISTS ix_spatial_meeting")
    op.execute(f"CREATE INDEX ix_spatial_meeting ON meeting {columns} WHERE lat_band IS NOT NULL")


def upgrade() -> None:
    op.create_table(
        "meeting_format",
        sa.Column("server_url", sa.String(length=500), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("world_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("server_url", "key"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("duplicate_of", sa.Integer(), nullable=True))
        batch_op.drop_index("ix_meeting_schedule")
        batch_op.create_index("ix_meeting_schedule", [*OLD_SCHEDULE, "time_zone", "duplicate_of"])
    _spatial_index(COVERED)


def downgrade() -> None:
    _spatial_index(OLD_COVERED)
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_schedule")
        batch_op.create_index("ix_meeting_schedule", OLD_SCHEDULE)
        batch_op.drop_column("duplicate_of")
    op.drop_table("meeting_format")
