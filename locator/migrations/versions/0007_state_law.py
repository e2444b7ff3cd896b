"""state kratom law: federal actions, change proposals for review, history, watched sources

state_law and local_restriction exist since 0001; this adds the status index the law-status
search filter joins on, the unconfirmed flag of local rules, and the tables of the reviewed
change-detection workflow (scrapers/kratom_law.py, `locator laws review`).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("state_law") as batch:
        batch.create_index("ix_state_law_status", ["status"], unique=False)
    with op.batch_alter_table("local_restriction") as batch:
        batch.add_column(
            sa.Column("unconfirmed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "federal_action",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=500), nullable=False),
        sa.Column("acted_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("citation", sa.String(length=300), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "law_change_proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("previous_fingerprint", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("diff", sa.Text(), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_law_change_proposal_status", "law_change_proposal", ["status", "found_at"])
    op.create_table(
        "law_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["proposal_id"], ["law_change_proposal.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_law_history_state", "law_history", ["state"])
    op.create_table(
        "law_source_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "url", name="uq_law_source_check"),
    )


def downgrade() -> None:
    op.drop_table("law_source_check")
    op.drop_index("ix_law_history_state", table_name="law_history")
    op.drop_table("law_history")
    op.drop_index("ix_law_change_proposal_status", table_name="law_change_proposal")
    op.drop_table("law_change_proposal")
    op.drop_table("federal_action")
    with op.batch_alter_table("local_restriction") as batch:
        batch.drop_column("unconfirmed")
    with op.batch_alter_table("state_law") as batch:
        batch.drop_index("ix_state_law_status")
