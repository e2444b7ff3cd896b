"""coordinator accounts, phone confirmations and corrections that survive re-imports

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("admin_user") as batch:
        batch.add_column(sa.Column("role", sa.String(16), nullable=False, server_default="admin"))
    op.create_table(
        "phone_confirmation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "facility_id",
            sa.Integer(),
            sa.ForeignKey("facility.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("called_on", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("wait_days", sa.Integer(), nullable=True),
        sa.Column("confirmed", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_phone_confirmation_facility", "phone_confirmation", ["facility_id", "called_on"]
    )
    op.create_index("ix_phone_confirmation_called_on", "phone_confirmation", ["called_on"])
    op.create_table(
        "facility_correction",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "facility_id",
            sa.Integer(),
            sa.ForeignKey("facility.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("field", sa.String(32), nullable=False),
        sa.Column("value", sa.String(200), nullable=False),
        sa.Column("source_value", sa.String(200), nullable=False),
        sa.Column("called_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("accepted_by", sa.String(64), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index(
        "ix_facility_correction_facility", "facility_correction", ["facility_id", "status"]
    )


def downgrade() -> None:
    op.drop_table("facility_correction")
    op.drop_table("phone_confirmation")
    with op.batch_alter_table("admin_user") as batch:
        batch.drop_column("role")
