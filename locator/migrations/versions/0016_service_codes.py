"""service codes on the facility row: what a search result lists, read with the row

A search API answer lists every result's service codes. They were aggregated from
facility_service for each result (about 70 rows a facility in the national directories): on
the 2022 national store that aggregate was a third of an API answer (0.47 of 1.42 ms in
process). ``facility.service_codes`` holds the same codes sorted and comma-joined, written
with the service rows (scrapers/facility_writer.facility_values, admin corrections) and
read by the search API and referral-list exports; facility_service stays the table the
service bits, facility pages and the HSDS export read.

The existing rows are filled from facility_service, sorted by code point as Python sorts them.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000


def upgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("service_codes", sa.Text(), nullable=False, server_default="")
        )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        # COLLATE "C": byte order, which for UTF-8 is the code point order Python sorts by.
        op.execute(
            "UPDATE facility f SET service_codes = s.codes FROM (SELECT facility_id, "
            "string_agg(code, ',' ORDER BY code COLLATE \"C\") AS codes "
            "FROM facility_service GROUP BY facility_id) s WHERE s.facility_id = f.id"
        )
        return
    # SQLite 3.40 cannot order inside group_concat: join them here, in code-point order.
    rows = bind.execute(
        sa.text("SELECT facility_id, code FROM facility_service ORDER BY facility_id, code")
    )
    update = sa.text("UPDATE facility SET service_codes = :codes WHERE id = :id")
    batch: list[dict[str, object]] = []
    for facility_id, codes in groupby(rows, key=lambda row: row[0]):
        batch.append({"id": facility_id, "codes": ",".join(sorted(row[1] for row in codes))})
        if len(batch) >= BATCH:
            bind.execute(update, batch)
            batch = []
    if batch:
        bind.execute(update, batch)


def downgrade() -> None:
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_column("service_codes")
