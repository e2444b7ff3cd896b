"""SAMHSA import throughput and memory, next to a plain CSV read measured in the same run.

Writes N synthetic facility rows (benchmark only: names "Bench site …", never served) as a
FindTreatment.gov site export CSV — the base columns plus one flag column per service code,
with one site in five listed twice (its SA and MH rows) — and imports it into a fresh
database through the real pipeline (scrapers.samhsa_files + run_import):

  first   a first load into an empty store;
  rerun   the same file again: every row unchanged;
  base    the floor: csv.DictReader over the same file, nothing else.

Each step runs in its own process so its peak RSS (ru_maxrss) is its own. Figures: rows/s,
seconds, peak RSS, and rows/s as a ratio of the base read. Targets (issue 3): first load at
least 5,000 rows/s on SQLite, the re-run at least 3x faster than the first load, peak RSS
under 500 MB. Run: .venv/bin/python bench/import.py --help
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from locator.db import make_engine, migrate
from locator.places.states import all_states
from scrapers.base import run_import
from scrapers.facility_writer import FacilityWriter
from scrapers.samhsa_files import file_items, open_file

BASE = [
    "name1",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "zip4",
    "county",
    "phone",
    "intake_prompt",
    "intake1",
    "intake2",
    "website",
    "latitude",
    "longitude",
    "type_facility",
    "last_update",
]
FLAGS = [
    "sa",
    "mh",
    "dt",
    "hid",
    "rd",
    "od",
    "op",
    "ort",
    "oit",
    "odt",
    "res",
    "rs",
    "rl",
    "hi",
    "tele",
    "otp",
    "bu",
    "nu",
    "mu",
    "meth",
    "cbt",
    "moti",
    "relp",
    "md",
    "mc",
    "pi",
    "sf",
    "ss",
    "pa",
    "np",
    "adlt",
    "yad",
    "chld",
    "snr",
    "sp",
    "ah",
    "vet",
    "pw",
    "gl",
    "ad",
]


def write_export(path: Path, n: int, seed: int = 3) -> None:
    """Write n synthetic rows (one site in five as an SA and an MH row) as a site export."""
    rng = random.Random(seed)
    states = [s.code for s in all_states() if s.kind == "state"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(BASE + FLAGS)
        written = 0
        site = 0
        while written < n:
            site += 1
            state = rng.choice(states)
            lat, lon = rng.uniform(25.0, 49.0), rng.uniform(-124.0, -67.0)
            kinds = ["SA", "MH"] if site % 5 == 0 else [rng.choice(["SA", "MH"])]
            for kind in kinds[: n - written]:
                flags = ["1" if rng.random() < 0.25 else "" for _ in FLAGS]
                out.writerow(
                    [
                        f"Bench site {site}",
                        f"Program {kind}",
                        f"{site} Bench Street",
                        "",
                        "Benchville",
                        state,
                        f"{rng.randrange(10000, 99999)}",
                        "",
                        "",
                        f"555-01{site % 100:02d}",
                        "",
                        "",
                        "",
                        "",
                        f"{lat:.7f}",
                        f"{lon:.7f}",
                        kind,
                        "2026-01-01 00:00:00.000",
                        *flags,
                    ]
                )
                written += 1


def child(step: str, url: str, path: Path) -> dict[str, float]:
    """Run one step in this process and return its figures."""
    started = time.perf_counter()
    rows = 0
    if step == "base":
        with path.open(encoding="utf-8", newline="") as handle:
            for _row in csv.DictReader(handle):
                rows += 1
    else:
        engine = make_engine(url)
        writer = FacilityWriter(source="samhsa", source_note="benchmark rows, never served")
        report = run_import(
            engine,
            source="samhsa",
            items=file_items(open_file(path)),
            writer=writer,
            seen_on=date(2026, 11, 23),
        )
        rows = report.fetched
        expected = "inserted" if step == "first" else "unchanged"
        assert getattr(report, expected) > 0, report.summary()
        engine.dispose()
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds, "peak_mb": peak_mb}


def run_step(step: str, url: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", step, "--url", url, "--file", str(path)],
        check=True,
        capture_output=True,
        text=True,
    )
    figures: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return figures


def fresh_database(kind: str, tmp: Path, pg_url: str) -> str:
    if kind == "sqlite":
        url = f"sqlite:///{tmp}/bench-import.db"
    else:
        from bench.search import pg_engine

        pg_engine(pg_url).dispose()
        url = pg_url
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://127.0.0.1:5432/locator_bench",
        help="a database the benchmark may drop and recreate",
    )
    parser.add_argument("--child", choices=["first", "rerun", "base"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.url, args.file)))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.csv"
        write_export(path, args.rows)
        size_mb = path.stat().st_size / 1e6
        print(f"# {args.rows} rows, {size_mb:.1f} MB site-export CSV")
        for database in args.databases.split(","):
            url = fresh_database(database, Path(tmp), args.pg_url)
            base = run_step("base", url, path)
            first = run_step("first", url, path)
            rerun = run_step("rerun", url, path)
            for name, fig in (("base", base), ("first", first), ("rerun", rerun)):
                print(
                    f"{database:10} {name:5} {fig['rows_per_s']:9.0f} rows/s "
                    f"{fig['seconds']:7.2f} s  peak {fig['peak_mb']:6.1f} MB  "
                    f"base/x {base['rows_per_s'] / fig['rows_per_s']:6.1f}x",
                    flush=True,
                )
            print(
                f"{database:10} rerun is {rerun['rows_per_s'] / first['rows_per_s']:.2f}x "
                f"the first load's speed; first load {first['rows_per_s']:.0f} rows/s "
                f"(target 5000 on SQLite); peak {max(first['peak_mb'], rerun['peak_mb']):.0f} MB "
                "(target < 500)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
