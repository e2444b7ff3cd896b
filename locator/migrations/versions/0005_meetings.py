"""meetings: schedule minute, format codes, provenance; the spatial index covers meeting filters

The radius search over meetings filters on weekday, start minute and attendance; carrying
them in ix_spatial_meeting keeps those filters inside the index, as the facility index
does with its service bits. Online meetings have no coordinates, so a second index serves
"online, on this day" by attendance and weekday.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_COVERED = ("geo_x", "geo_y", "geo_z", "active")
COVERED = (*OLD_COVERED, "weekday", "start_minute", "attendance")


def _spatial_index(covered: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name == "postgresql":
        columns = f"(lat_band, longitude) INCLUDE ({', '.join((*covered, 'id'))})"
    else:
        columns = f"({', '.join(('lat_band', 'longitude', *covered))})"
    op.execute("DROP INDEX IF EXISTS ix_spatial_meeting")
    op.execute(f"CREATE INDEX ix_spatial_meeting ON meeting {columns} WHERE lat_band IS NOT NULL")


def upgrade() -> None:
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.add_column(sa.Column("start_minute", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("format_codes", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("format_names", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("source_url", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("source_note", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "location_approximate", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch_op.add_column(
            sa.Column("schedule_note", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("also_listed", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.create_index(
            "ix_meeting_schedule", ["active", "attendance", "weekday", "start_minute"]
        )
    _spatial_index(COVERED)


def downgrade() -> None:
    _spatial_index(OLD_COVERED)
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_schedule")
        for name in (
            "also_listed",
            "schedule_note",
            "location_approximate",
            "source_note",
            "source_url",
            "format_names",
            "format_codes",
            "start_minute",
        ):
            batch_op.drop_column(name)
