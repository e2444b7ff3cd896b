"""PostGIS nearest-first search: a geography column and its GiST index, where PostGIS exists

With PostGIS, a facility search walks a GiST index nearest first (``ORDER BY geog <-> origin
LIMIT n``) and reads only the rows of the page, whatever the radius; the latitude-band index
of 0002 stays for counts and for databases without the extension. The column is generated
from latitude and longitude, so no writer has to know about it. On SQLite, or on a PostgreSQL
server without the extension (or a role that may not create it), this migration changes
nothing and searches keep the expanding latitude-band path (locator/places/spatial.py).

Revision ID: 0014
Revises: 0013 (written on 0010; re-chained as 0012 and 0013 landed)
Create Date: 2026-12-02
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)

GEOGRAPHY = (
    "geography(Point, 4326) GENERATED ALWAYS AS (CASE WHEN latitude IS NOT NULL AND longitude "
    "IS NOT NULL THEN ST_SetSRID(ST_MakePoint(longitude, latitude), 4326)::geography END) STORED"
)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql" or not _postgis_ready():
        return
    op.execute(f"ALTER TABLE facility ADD COLUMN geog {GEOGRAPHY}")
    # Every search asks for active rows, so the index holds only those.
    op.execute("CREATE INDEX ix_spatial_facility_geog ON facility USING gist (geog) WHERE active")


def _postgis_ready() -> bool:
    """Create the extension if the server has it; False (and a log line) if it cannot."""
    bind = op.get_bind()
    available = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")
    ).first()
    if available is None:
        log.info("PostGIS is not installed on this server: searches keep the band index")
        return False
    savepoint = bind.begin_nested()
    try:
        bind.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    except DBAPIError as error:
        savepoint.rollback()
        log.warning("PostGIS could not be enabled (%s): searches keep the band index", error)
        return False
    savepoint.commit()
    return True


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_spatial_facility_geog")
    op.execute("ALTER TABLE facility DROP COLUMN IF EXISTS geog")
