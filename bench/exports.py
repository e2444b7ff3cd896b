"""Export throughput and memory, next to a plain csv.writer write measured in the same run.

Loads N synthetic facilities (bench/search.py's generator; they exist only in a temporary
database and are never served), reads them through the export's own search path
(locator.export_rows.search_rows, whole-"state" query over the synthetic rows), then for each
format times the writer over those rows and reports rows/s next to the baseline: a plain
``csv.writer`` writing the same field values, no escaping, into the same kind of sink.

Peak memory (tracemalloc) is measured per format while the writer consumes a *generator* of
rows, at 10k and at 10x as many rows (the rows are copies of the loaded ones with new ids):
a streaming writer's peak stays flat. The PDF sheet is drawn whole and capped in the app by
``export_max_pdf_rows`` (500), so it is measured at that size only, with entries filled in as
a real sheet's are (address, three phones, website, ~30 services in 8 categories, a phone
confirmation on every third): issue 20's target is 500 such entries in 1.5 s or less.

Run: .venv/bin/python bench/exports.py [--rows 10000] [--grow 10] [--formats csv pdf]
(a full run takes about 20 minutes on a busy machine: tracemalloc slows the 100k passes).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import date
from operator import attrgetter
from pathlib import Path

from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import load, make_dataset
from locator.admin.confirmations import LastConfirmation
from locator.db import make_engine, migrate
from locator.exports import hsds, pdf
from locator.exports import writers as exports
from locator.exports.rows import search_rows
from locator.exports.writers import COLUMNS, ExportRow, SheetHeading
from locator.facilities.search import FacilityQuery
from locator.places.geo import Point

Writer = Callable[[Iterable[ExportRow]], Iterator[bytes]]
HEADING = SheetHeading("Bench", date(2026, 11, 1), crisis_lines=(("988 Lifeline", "988"),))


def plain_csv(rows: Iterable[ExportRow]) -> Iterator[bytes]:
    """The baseline: csv.writer over the same column values (no escaping), chunked alike."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    values = attrgetter(*COLUMNS)
    for count, row in enumerate(rows, start=1):
        writer.writerow(values(row))
        if count % 200 == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


WRITERS: dict[str, Writer] = {
    "plain csv.writer": plain_csv,
    "csv": exports.csv_chunks,
    "hsds-json": hsds.json_chunks,
    "xlsx": exports.xlsx_chunks,
    "hsds-zip": hsds.zip_chunks,
    "pdf": lambda rows: iter([pdf.pdf_bytes(rows, HEADING)]),
}
STREAMING = ("csv", "hsds-json")
PDF_ROWS = 500  # the app's default export_max_pdf_rows


def sheet_rows(rows: list[ExportRow]) -> list[ExportRow]:
    """Give the PDF pass rows as full as a real referral sheet's (synthetic, bench only).

    The loaded rows carry only a name and a few codes; a real entry has an address, three
    phones, a website, ~30 services in ~8 categories and often a phone confirmation.
    """
    groups = tuple(
        (f"Category {g}", tuple(f"Synthetic service {g}.{s} with a longer name" for s in range(4)))
        for g in range(8)
    )
    confirmed = LastConfirmation(date(2026, 10, 20), "wait_list", 14, ("DT", "MD"))
    return [
        replace(
            row,
            street1=f"{row.id} Synthetic Avenue",
            street2="Suite 200",
            city="Benchville",
            zip="99999",
            phone="555-010-0000",
            intake_phone="555-010-0001 x12",
            hotline_phone="555-010-0002",
            website=f"https://example.org/synthetic/{row.id}",
            service_groups=groups,
            last_confirmation=confirmed if row.id % 3 == 0 else None,
            services_confirmed="Detox; Medicaid" if row.id % 3 == 0 else "",
            source_note="Synthetic rows for the export benchmark.",
        )
        for row in rows
    ]


def drain(chunks: Iterator[bytes]) -> int:
    """Consume a writer's output as a web server would, returning the byte count."""
    return sum(len(chunk) for chunk in chunks)


def fetch(url: str, n: int) -> tuple[list[ExportRow], float]:
    engine = make_engine(url)
    with Session(engine) as session:
        query = FacilityQuery(origin=Point(39.0, -98.0), radius=None, state="ZZ")
        start = time.perf_counter()
        rows = list(search_rows(session=session, query=query, url_for=lambda k, i: f"/{k}/{i}"))
        took = time.perf_counter() - start
    engine.dispose()
    assert len(rows) == n, (len(rows), n)
    return rows, took


def copies(rows: list[ExportRow], count: int) -> Iterator[ExportRow]:
    """Yield ``count`` rows cycling through ``rows`` with fresh ids (never held together)."""
    for i in range(count):
        base = rows[i % len(rows)]
        yield replace(base, id=i + 1, position=i + 1, source_key=f"b{i}")


def timed(writer: Writer, rows: list[ExportRow], repeat: int) -> tuple[float, float, int]:
    """Best time of ``writer`` and of the plain write, run alternately (the machine is noisy)."""
    best, base, size = float("inf"), float("inf"), 0
    for _ in range(repeat):
        start = time.perf_counter()
        drain(plain_csv(rows))
        base = min(base, time.perf_counter() - start)
        start = time.perf_counter()
        size = drain(writer(rows))
        best = min(best, time.perf_counter() - start)
    return best, base, size


def peak_mib(writer: Writer, rows: Iterator[ExportRow]) -> float:
    tracemalloc.start()
    drain(writer(rows))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--grow", type=int, default=10, help="memory check at rows x grow")
    parser.add_argument("--formats", nargs="*", default=[], help=f"some of: {', '.join(WRITERS)}")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        engine = make_engine(url)
        migrate(engine)
        rng = random.Random(7)
        load(engine, make_dataset(args.rows, "clustered", rng), rng)
        engine.dispose()
        rows, fetch_s = fetch(url, args.rows)
    print(
        f"{args.rows:,} synthetic facilities; read through search_rows in {fetch_s:.2f} s "
        f"({args.rows / fetch_s:,.0f} rows/s)"
    )
    report(rows, args.rows * args.grow, args.formats)


def report(rows: list[ExportRow], big: int, formats: list[str]) -> None:
    n = len(rows)
    print(
        f"{'format':18} {'rows/s':>10} {'plain rows/s':>13} {'x plain':>8} {'MiB out':>8} "
        f"{'peak MiB ' + f'{n // 1000}k':>14} {'peak MiB ' + f'{big // 1000}k':>14}"
    )
    for name, writer in WRITERS.items():
        if formats and name not in formats:
            continue
        if name == "pdf":  # capped in the app (export_max_pdf_rows): measured at the cap
            pdf_rows = sheet_rows(rows[:PDF_ROWS])
            took, base, size = timed(writer, pdf_rows, repeat=3)
            small = peak_mib(writer, iter(pdf_rows))
            print(
                f"{name + f' ({PDF_ROWS} rows)':18} {PDF_ROWS / took:>10,.0f} "
                f"{PDF_ROWS / base:>13,.0f} {took / base:>8.2f} {size / 2**20:>8.1f} "
                f"{small:>14.1f} {'-':>14}   {took:.2f} s for {PDF_ROWS} full entries "
                f"(target <= 1.5 s)",
                flush=True,
            )
            continue
        took, base, size = timed(writer, rows, repeat=5)
        small = peak_mib(writer, copies(rows, n))
        large = f"{peak_mib(writer, copies(rows, big)):.1f}"
        flag = ""
        if name in STREAMING and took > 3 * base:
            flag = "  <- slower than 3x the plain write"
        print(
            f"{name:18} {n / took:>10,.0f} {n / base:>13,.0f} {took / base:>8.2f} "
            f"{size / 2**20:>8.1f} {small:>14.1f} {large:>14}{flag}",
            flush=True,
        )


if __name__ == "__main__":
    main()
