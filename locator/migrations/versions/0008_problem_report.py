"""problem reports on listings, kept for review

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "problem_report",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("listing_source", sa.String(64), nullable=False),
        sa.Column("listing_key", sa.String(512), nullable=False),
        sa.Column("listing_name", sa.String(512), nullable=False),
        sa.Column("problem", sa.String(32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="new"),
    )
    op.create_index("ix_problem_report_listing_id", "problem_report", ["listing_id"])
    op.create_index("ix_problem_report_created_at", "problem_report", ["created_at"])
    op.create_index("ix_problem_report_sender", "problem_report", ["sender"])


def downgrade() -> None:
    op.drop_table("problem_report")
