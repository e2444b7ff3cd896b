"""The embedded data in data/: SAMHSA codebooks and dated facility snapshots, loaded offline.

A snapshot is JSON in the project's own format: where the rows came from, as of when, whether
it is a sample, and the facility records exactly as ``FacilityRecord.to_json`` writes them.
``build_samhsa_snapshot`` makes one from a saved FindTreatment.gov response with the same
parser the live importer uses, so the shipped file can be re-derived and checked.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlmodel import Session, col

from locator.models import Facility, ServiceCode
from locator.paths import DATA_DIR
from scrapers import samhsa
from scrapers.base import FeedSchemaError, ImportReport, Rejected, run_import
from scrapers.codebook import store_reference
from scrapers.facilities import FacilityRecord, merge_facilities
from scrapers.facility_services import ensure_service_bits, mark_service_bits_current
from scrapers.facility_writer import FacilityWriter
from scrapers.law_snapshot import seed_laws
from scrapers.samhsa_national import NATIONAL_DIR, NationalSource, build_national

FORMAT = "treatment-locator/facility-snapshot/1"
SNAPSHOT_DIR = NATIONAL_DIR / "snapshots"
CODEBOOK_VINTAGES = {"service_codes_2018.csv": "2018", "service_codes_nsumhss.csv": "N-SUMHSS"}


def build_samhsa_snapshot(
    response: Path, *, as_of: date, source_note: str, source_url: str, sample: bool
) -> dict[str, Any]:
    """Turn a saved FindTreatment.gov response (one page or a list of pages) into a snapshot."""
    with response.open(encoding="utf-8") as handle:
        data = json.load(handle)
    pages = data if isinstance(data, list) else [data]
    records: dict[str, FacilityRecord] = {}
    rejected: list[dict[str, str]] = []
    for item in samhsa.parse_pages(pages):
        if isinstance(item, Rejected):
            rejected.append({"row": item.row, "reason": item.reason})
            continue
        previous = records.get(item.key)
        records[item.key] = item if previous is None else merge_facilities(previous, item)
    return {
        "format": FORMAT,
        "source": samhsa.SOURCE,
        "source_note": source_note,
        "source_url": source_url,
        "as_of": as_of.isoformat(),
        "sample": sample,
        "rejected": rejected,
        "records": [records[key].to_json() for key in sorted(records)],
    }


def national_snapshot(source: NationalSource) -> dict[str, Any]:
    """Turn one national source into the snapshot format (a complete listing, not a sample)."""
    return {
        "format": FORMAT,
        "source": source.source,
        "source_note": source.title,
        "source_url": source.url,
        "as_of": source.as_of.isoformat(),
        "sample": False,
        "vintage": source.vintage,
        "reference": source.reference,
        "rejected": [{"row": item.row, "reason": item.reason} for item in source.rejected],
        "stats": source.stats,
        "records": [record.to_json() for record in source.records],
    }


def build_national_snapshots(
    folder: Path = NATIONAL_DIR, out_dir: Path = SNAPSHOT_DIR
) -> list[Path]:
    """Write one ``<source>.json.gz`` per national source; a rebuild is byte-identical.

    Keys are sorted and the gzip header carries no time or file name, so the same files
    always give the same bytes.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for source in build_national(folder):
        text = json.dumps(
            national_snapshot(source), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
        path = out_dir / f"{source.source}.json.gz"
        path.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
        written.append(path)
    return written


def read_snapshot(path: Path) -> dict[str, Any]:
    """Read a snapshot file (plain or gzip-compressed JSON) and check its format marker."""
    text = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    data: dict[str, Any] = json.loads(text.decode("utf-8"))
    if data.get("format") != FORMAT:
        raise FeedSchemaError(f"{path.name} is not a {FORMAT} file.")
    return data


def snapshot_records(data: dict[str, Any]) -> Iterator[FacilityRecord]:
    """Yield the facility records of a snapshot."""
    for record in data["records"]:
        yield FacilityRecord.from_json(record)


def load_snapshot(engine: Engine, path: Path) -> ImportReport:
    """Import one snapshot file as its source's contribution, dated by its as-of date."""
    data = read_snapshot(path)
    as_of = date.fromisoformat(data["as_of"])
    writer = FacilityWriter(
        source=data["source"],
        source_note=data["source_note"],
        source_url=data["source_url"],
        family=samhsa.SOURCE,
        as_of=as_of,
    )
    vintage, reference = data.get("vintage", ""), data.get("reference", [])
    return run_import(
        engine,
        source=f"{data['source']}-snapshot",
        items=snapshot_records(data),
        writer=writer,
        seen_on=as_of,
        prepare=lambda session: store_reference(session, vintage, reference),
    )


def load_service_codes(engine: Engine) -> int:
    """Store every vintage of the SAMHSA service-code reference shipped in data/samhsa/.

    Each vintage is replaced whole, in one transaction, so the table always equals the files.
    """
    rows: list[dict[str, str]] = []
    for filename, vintage in CODEBOOK_VINTAGES.items():
        with (DATA_DIR / "samhsa" / filename).open(encoding="utf-8", newline="") as handle:
            rows.extend(
                {
                    "vintage": vintage,
                    "code": row["service_code"],
                    "category_code": row["category_code"],
                    "category_name": row["category_name"],
                    "name": row["service_name"],
                    "description": row["service_description"],
                }
                for row in csv.DictReader(handle)
            )
    with engine.begin() as connection:
        connection.execute(
            delete(ServiceCode).where(
                col(ServiceCode.vintage).in_(list(CODEBOOK_VINTAGES.values()))
            )
        )
        connection.execute(insert(ServiceCode), rows)
    return len(rows)


def seed(
    engine: Engine, *, only_if_empty: bool = True, snapshots: Iterable[Path] | None = None
) -> list[ImportReport]:
    """Load the codebooks, the facility snapshots and the kratom-law snapshot.

    Args:
        only_if_empty: load facilities only into a store that has none (the first run).
        snapshots: the facility snapshots to load; default the national ones in data/.
    """
    load_service_codes(engine)
    with Session(engine) as session:
        facilities = session.scalar(select(func.count()).select_from(Facility)) or 0
    reports = []
    if not (only_if_empty and facilities):
        paths = sorted(SNAPSHOT_DIR.glob("*.json*")) if snapshots is None else list(snapshots)
        reports = [load_snapshot(engine, path) for path in paths]
    if not facilities:
        # Every row was just written with the current taxonomy's bits: nothing to recompute.
        mark_service_bits_current(engine)
    ensure_service_bits(engine)
    seed_laws(engine, only_if_empty=only_if_empty)
    return reports
