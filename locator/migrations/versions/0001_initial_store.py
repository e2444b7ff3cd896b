"""initial store

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "facility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("source_key", sa.String(length=64), nullable=False),
        sa.Column("source_note", sa.Text(), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("name2", sa.String(length=300), nullable=False),
        sa.Column("street1", sa.String(length=300), nullable=False),
        sa.Column("street2", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("zip", sa.String(length=10), nullable=False),
        sa.Column("county", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("intake_phone", sa.String(length=40), nullable=False),
        sa.Column("hotline_phone", sa.String(length=40), nullable=False),
        sa.Column("website", sa.String(length=500), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("lat_band", sa.Integer(), nullable=True),
        sa.Column("geo_x", sa.Float(), nullable=True),
        sa.Column("geo_y", sa.Float(), nullable=True),
        sa.Column("geo_z", sa.Float(), nullable=True),
        sa.Column("location_approximate", sa.Boolean(), nullable=False),
        sa.Column("facility_types", sa.String(length=60), nullable=False),
        sa.Column("services_known", sa.Boolean(), nullable=False),
        sa.Column("service_bits_lo", sa.BigInteger(), nullable=False),
        sa.Column("service_bits_hi", sa.BigInteger(), nullable=False),
        sa.Column("unmapped_services", sa.JSON(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("source_updated", sa.Date(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_key", name="uq_facility_source_key"),
    )
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.create_index("ix_facility_state_active", ["state", "active"], unique=False)

    op.create_table(
        "geocode_cache",
        sa.Column("query", sa.String(length=300), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("label", sa.String(length=500), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("query"),
    )
    op.create_table(
        "import_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("deactivated", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("rejects", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_import_run_source"), ["source"], unique=False)

    op.create_table(
        "local_restriction",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("county", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("source_url", sa.String(length=500), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("local_restriction", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_local_restriction_state"), ["state"], unique=False)

    op.create_table(
        "meeting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=300), nullable=False),
        sa.Column("source_key", sa.String(length=128), nullable=False),
        sa.Column("fellowship", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("start_time", sa.Time(), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("time_zone_inferred", sa.Boolean(), nullable=False),
        sa.Column("attendance", sa.String(length=16), nullable=False),
        sa.Column("location_name", sa.String(length=300), nullable=False),
        sa.Column("street", sa.String(length=300), nullable=False),
        sa.Column("city", sa.String(length=120), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("postal_code", sa.String(length=10), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("lat_band", sa.Integer(), nullable=True),
        sa.Column("geo_x", sa.Float(), nullable=True),
        sa.Column("geo_y", sa.Float(), nullable=True),
        sa.Column("geo_z", sa.Float(), nullable=True),
        sa.Column("online_url", sa.String(length=1000), nullable=False),
        sa.Column("online_phone", sa.String(length=200), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("formats_original", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.Date(), nullable=False),
        sa.Column("last_seen", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "source_key", name="uq_meeting_source_key"),
    )
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_fellowship"), ["fellowship"], unique=False)

    op.create_table(
        "service_code",
        sa.Column("vintage", sa.String(length=16), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("category_code", sa.String(length=16), nullable=False),
        sa.Column("category_name", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("vintage", "code"),
    )
    op.create_table(
        "state_law",
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("law_name", sa.String(length=300), nullable=False),
        sa.Column("citation", sa.String(length=300), nullable=False),
        sa.Column("enacted_on", sa.Date(), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("minimum_age", sa.Integer(), nullable=True),
        sa.Column("covers", sa.JSON(), nullable=False),
        sa.Column("seven_oh_rule", sa.JSON(), nullable=False),
        sa.Column("pending_bills", sa.JSON(), nullable=False),
        sa.Column("sources", sa.JSON(), nullable=False),
        sa.Column("verified_on", sa.Date(), nullable=True),
        sa.Column("confidence", sa.String(length=1), nullable=False),
        sa.Column("unconfirmed", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("state"),
    )
    op.create_table(
        "facility_service",
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["facility_id"], ["facility.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("facility_id", "code"),
    )


def downgrade() -> None:
    op.drop_table("facility_service")
    op.drop_table("state_law")
    op.drop_table("service_code")
    with op.batch_alter_table("meeting", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_fellowship"))

    op.drop_table("meeting")
    with op.batch_alter_table("local_restriction", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_local_restriction_state"))

    op.drop_table("local_restriction")
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_run_source"))

    op.drop_table("import_run")
    op.drop_table("geocode_cache")
    with op.batch_alter_table("facility", schema=None) as batch_op:
        batch_op.drop_index("ix_facility_state_active")

    op.drop_table("facility")
