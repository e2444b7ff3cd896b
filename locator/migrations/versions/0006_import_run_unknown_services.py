"""import runs count the service names no codebook knows (kept raw on the facility)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("import_run") as batch:
        batch.add_column(
            sa.Column("unknown_services", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("unknown_names", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("import_run") as batch:
        batch.drop_column("unknown_names")
        batch.drop_column("unknown_services")
