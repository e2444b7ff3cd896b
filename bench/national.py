"""Import and search on SAMHSA's real 2022 National Directories, next to same-run baselines.

No synthetic rows: the material is the two National Directory workbooks in
../shared/datasets/ (see PROVENANCE.md there; 12,176 substance-use and 9,037 mental-health
listings, placed at their ZIP centroids). Everything is written to a temporary SQLite file
and, with --databases sqlite,postgresql, to a PostgreSQL database the benchmark drops and
recreates (--pg-url, default the `bench` database; its tables are dropped at the end).

Import, each file of each phase in its own process, so its peak RSS is its own (VmHWM, not
ru_maxrss: a forked child's ru_maxrss starts at its parent's RSS):

  read    the floor: openpyxl read-only iteration of the "Facilities List" sheet, values only;
  first   a first load of SA then MH into an empty migrated store, through the CLI's own path
          (`locator import samhsa --file`: open_file + file_items + run_import with the same
          FacilityWriter arguments and the Service Code Reference stored in prepare);
  rerun   both files again, unchanged, as the CLI does it: the last run read the same bytes
          with the same parser (input_digest), so nothing is read again and the stored
          listings are marked seen (must report inserted 0, updated 0);
  reread  both files again with that skip turned off: every row parsed, hashed and compared
          (what a changed parser or vocabulary costs; must report inserted 0, updated 0).

The three phases are repeated (--repeat, default 3), each repetition into a fresh store; the
table shows, per phase and file, the fastest repetition (the least disturbed on a busy shared
machine); "both" sums those.
Ratios: first / read in seconds (target <= 4x on SQLite) and first / rerun (target >= 3x).

Search, on the loaded national data: 20 real ZIPs across the country (offline gazetteer) x
the detox, outpatient and telehealth filters x 10/25/100 miles; p50/p95 ms of

  (a) the project's search call (locator.search.find_nearby, first page of 25) and
  (b) the bare spatial-index query with the same filter (bench.search.floor_query),

timed alternately over several rounds (--rounds) on the store the import left (on PostgreSQL
after VACUUM, as autovacuum soon would). Ratios a/b p95 per filter and radius, per radius and
overall (target: p95 <= 3x the index query).

Run (from the project root):

  PYTHONPATH=$PWD .venv/bin/python bench/national.py                          # SQLite
  PYTHONPATH=$PWD .venv/bin/python bench/national.py --databases sqlite,postgresql
  PYTHONPATH=$PWD .venv/bin/python bench/national.py --quick                  # short run
  PYTHONPATH=$PWD .venv/bin/python bench/national.py --profile first          # cProfile only
  PYTHONPATH=$PWD .venv/bin/python bench/national.py --databases postgresql --profile first

--quick: one import repetition, 8 ZIPs, one search round (the import still reads both whole
workbooks: about 2 minutes on SQLite). --profile PHASE times nothing: it loads both workbooks
into a fresh store of each of --databases (for rerun: loads them once, then profiles the
second load) in one process under cProfile and prints the top functions by cumulative time.

A rerun may be "partial": the SA directory has two rows the importer rejects (with reasons);
it must still insert 0 and update 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import Engine, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import floor_query, pct, pg_engine, project_query
from locator.db import make_engine, migrate
from locator.facilities.taxonomy import category
from locator.places.gazetteer import embedded_gazetteer
from locator.places.geo import Point
from scrapers import samhsa
from scrapers.base import run_import
from scrapers.codebook import store_reference
from scrapers.facility_writer import FacilityWriter
from scrapers.samhsa_files import file_items, input_digest, open_file

ROOT = Path(__file__).resolve().parent.parent
SHEET = "Facilities List"
WORKBOOKS = ("National_Directory_SA_Facilities_*.xlsx", "National_Directory_MH_Facilities_*.xlsx")
PHASES = ("read", "first", "rerun", "reread")
# Real ZIPs spread over the country, territories and Alaska/Hawaii included.
ZIPS = (
    ("10001", "New York NY"),
    ("33130", "Miami FL"),
    ("60601", "Chicago IL"),
    ("85004", "Phoenix AZ"),
    ("99501", "Anchorage AK"),
    ("59001", "Absarokee MT"),
    ("96813", "Honolulu HI"),
    ("00901", "San Juan PR"),
    ("98101", "Seattle WA"),
    ("30303", "Atlanta GA"),
    ("75201", "Dallas TX"),
    ("80202", "Denver CO"),
    ("02108", "Boston MA"),
    ("70112", "New Orleans LA"),
    ("55401", "Minneapolis MN"),
    ("84101", "Salt Lake City UT"),
    ("37203", "Nashville TN"),
    ("22903", "Charlottesville VA"),
    ("58501", "Bismarck ND"),
    ("04101", "Portland ME"),
)
FILTERS = ("detox", "outpatient", "telehealth")
RADII = (10, 25, 100)


# -- import phases (each in a child process) ------------------------------------------------


def bare_read(path: Path) -> dict[str, Any]:
    """The floor: every row of the facilities sheet, values only, nothing else."""
    workbook = load_workbook(path, read_only=True, data_only=True)
    rows = -1  # the header row
    for _values in workbook[SHEET].iter_rows(values_only=True):
        rows += 1
    workbook.close()
    return {"rows": rows}


def cli_import(url: str, path: Path, seen_on: date, same_input_skip: bool = True) -> dict[str, Any]:
    """What `locator import samhsa --file PATH` does (scrapers/samhsa_import.py import_file).

    ``same_input_skip=False`` reads the file again although the last run read the same bytes
    (what a changed parser, or a live sweep, costs: every row parsed and compared).
    """
    engine = make_engine(url)
    found = open_file(path)
    writer = FacilityWriter(
        source=found.source,
        source_note=f"{found.title} (imported from the file {path.name}).",
        source_url=samhsa.SOURCE_URL,
        family=samhsa.SOURCE,
        as_of=found.as_of,
    )

    def prepare(session: Any) -> None:
        if found.reference:
            store_reference(session, found.vintage, found.reference)

    report = run_import(
        engine,
        source=found.source,
        items=file_items(found),
        writer=writer,
        seen_on=seen_on,
        prepare=prepare,
        input_digest=input_digest(found) if same_input_skip else "",
    )
    engine.dispose()
    return {
        "rows": report.fetched,
        "status": report.status,
        "inserted": report.inserted,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "merged": report.merged,
        "joined": report.joined,
        "rejected": report.rejected,
    }


def peak_mb() -> float:
    """This process's peak RSS since exec (VmHWM). ru_maxrss is not used where VmHWM exists:
    a forked child's ru_maxrss starts from its parent's RSS at fork (the search phase's, say),
    so phases would inherit each other's peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(phase: str, url: str, paths: list[Path], seen_on: date, profile: bool) -> None:
    """Run one phase over the given files in this process; print one JSON line per file."""
    profiler = cProfile.Profile() if profile else None
    for path in paths:
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        if phase == "read":
            fig = bare_read(path)
        else:
            fig = cli_import(url, path, seen_on, same_input_skip=phase != "reread")
        if profiler:
            profiler.disable()
        fig["seconds"] = time.perf_counter() - started
        fig["file"] = path.name
        fig["peak_mb"] = peak_mb()
        print(json.dumps(fig), flush=True)
    if profiler:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(25)
        print(out.getvalue(), file=sys.stderr)


def run_phase(
    phase: str, url: str, paths: list[Path], seen_on: date, profile: bool = False
) -> list[dict[str, Any]]:
    """Run a phase in a fresh process (so its peak RSS is its own) and return its figures."""
    command = [sys.executable, __file__, "--phase", phase, "--url", url, "--seen-on"]
    command += [seen_on.isoformat(), *(["--cprofile"] if profile else []), "--files"]
    out = subprocess.run([*command, *map(str, paths)], check=True, capture_output=True, text=True)
    if profile:
        print(out.stderr, flush=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


@dataclass
class Phase:
    name: str
    files: list[dict[str, Any]]

    @property
    def rows(self) -> int:
        return sum(int(f["rows"]) for f in self.files)

    @property
    def seconds(self) -> float:
        return sum(float(f["seconds"]) for f in self.files)

    @property
    def peak_mb(self) -> float:
        return max(float(f["peak_mb"]) for f in self.files)


def counts(fig: dict[str, Any]) -> str:
    if "inserted" not in fig:
        return ""
    return (
        f"ins {fig['inserted']:>6} upd {fig['updated']:>5} same {fig['unchanged']:>6} "
        f"merged {fig['merged']:>5} joined {fig.get('joined', 0):>5} "
        f"rej {fig['rejected']:>3} {fig['status']}"
    )


def best(runs: list[list[Phase]]) -> list[Phase]:
    """Per phase and file, the fastest repetition's figures (the least disturbed by a busy
    machine); peak RSS is the highest seen in any repetition."""
    out = []
    for index, name in enumerate(PHASES):
        files = []
        for f, _ in enumerate(runs[0][index].files):
            seen = [run[index].files[f] for run in runs]
            fig = dict(min(seen, key=lambda g: float(g["seconds"])))
            fig["peak_mb"] = max(float(g["peak_mb"]) for g in seen)
            fig["spread"] = [round(float(g["seconds"]), 2) for g in seen]
            files.append(fig)
        out.append(Phase(name, files))
    return out


def bench_import(
    database: str, fresh: Callable[[], str], paths: list[Path], seen_on: date, repeat: int
) -> tuple[str, list[str]]:
    """Run read, first and rerun ``repeat`` times, each file of each phase in its own process,
    each repetition into a fresh store; print the table. Return the last store and problems."""
    runs = []
    url = ""
    for rep in range(repeat):
        url = fresh()
        phases = [Phase(name, []) for name in PHASES]
        for phase in phases:
            for path in paths:
                phase.files += run_phase(phase.name, url, [path], seen_on)
        runs.append(phases)
        print(
            f"# {database} repetition {rep + 1}: "
            + ", ".join(f"{ph.name} {ph.seconds:.2f} s" for ph in phases),
            flush=True,
        )
    phases = best(runs)
    print(
        f"{'database':10} {'phase':6} {'file':42} {'rows':>6} {'s':>7} {'rows/s':>7} {'peak MB':>7}"
    )
    for phase in phases:
        for fig in phase.files:
            print(
                f"{database:10} {phase.name:6} {fig['file']:42} {fig['rows']:>6} "
                f"{fig['seconds']:7.2f} {fig['rows'] / fig['seconds']:7.0f} "
                f"{fig['peak_mb']:7.1f}  {counts(fig)}"
            )
        print(
            f"{database:10} {phase.name:6} {'both':42} {phase.rows:>6} {phase.seconds:7.2f} "
            f"{phase.rows / phase.seconds:7.0f} {phase.peak_mb:7.1f}",
            flush=True,
        )
    read, first, rerun, reread = phases
    problems = [
        f"{database} {run[index].name} of {f['file']} changed rows: {counts(f)}"
        for run in runs
        for index in (2, 3)
        for f in run[index].files
        if f["inserted"] or f["updated"] or f["status"] == "failed"
    ]
    target = " (target <= 4x)" if database == "sqlite" else ""
    print(
        f"{database:10} first/read {first.seconds / read.seconds:5.2f}x{target}; "
        f"first/rerun {first.seconds / rerun.seconds:5.2f}x (target >= 3x); "
        f"first/reread {first.seconds / reread.seconds:5.2f}x; fastest of {repeat}",
        flush=True,
    )
    return url, problems


# -- search ----------------------------------------------------------------------------------


def origins(zips: tuple[tuple[str, str], ...]) -> list[tuple[str, Point]]:
    gazetteer = embedded_gazetteer()
    found = []
    for code, label in zips:
        place = gazetteer.zip(code)
        if place is None:
            print(f"# ZIP {code} ({label}) is not in the gazetteer; skipped")
            continue
        found.append((label, place.point))
    return found


Query = Callable[[Point, float, bool], int]


def alternate(a: Query, b: Query, points: list[Point], miles: float, rounds: int) -> tuple:
    """Time a and b on every point, alternating which goes first; return both lists (ms)."""
    for p in points[:3]:
        a(p, miles, True)
        b(p, miles, True)
    ta: list[float] = []
    tb: list[float] = []
    found: list[int] = []
    for r in range(rounds):
        for i, p in enumerate(points):
            order = ((a, ta), (b, tb)) if (r + i) % 2 == 0 else ((b, tb), (a, ta))
            for fn, out in order:
                started = time.perf_counter()
                n = fn(p, miles, True)
                out.append((time.perf_counter() - started) * 1000)
                if fn is a and r == 0:
                    found.append(n)
    return ta, tb, found


def bench_search(database: str, engine: Engine, rounds: int, zips: tuple) -> None:
    if engine.dialect.name == "postgresql":
        # The import ANALYZEs its tables; VACUUM also sets the visibility map (index-only
        # scans), as autovacuum soon would on a store after an import.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    engine.dispose()
    places = origins(zips)
    points = [p for _label, p in places]
    for key in FILTERS:
        assert category(key) is not None, key
    print(
        f"# search: {len(points)} ZIPs x {rounds} rounds, alternately; p50/p95 ms of "
        "(a) find_nearby first page of 25, (b) bare index query, same filter"
    )
    by_radius: dict[int, tuple[list[float], list[float]]] = {m: ([], []) for m in RADII}
    for key in FILTERS:
        a, b = project_query(engine, key), floor_query(engine, key)
        for miles in RADII:
            ta, tb, found = alternate(a, b, points, miles, rounds)
            by_radius[miles][0].extend(ta)
            by_radius[miles][1].extend(tb)
            empty = sum(1 for n in found if n == 0)
            print(
                f"{database:10} {key:10} {miles:>4}mi | a {pct(ta, 0.5):7.2f}/{pct(ta, 0.95):7.2f}"
                f" b {pct(tb, 0.5):7.2f}/{pct(tb, 0.95):7.2f} | a/b p95 "
                f"{pct(ta, 0.95) / pct(tb, 0.95):5.2f}x | hits/page {sum(found) / len(found):5.1f}"
                f", {empty} ZIPs with none",
                flush=True,
            )
    all_a: list[float] = []
    all_b: list[float] = []
    for miles, (ta, tb) in by_radius.items():
        all_a += ta
        all_b += tb
        print(
            f"{database:10} {'all':10} {miles:>4}mi | a p95 {pct(ta, 0.95):7.2f} b p95 "
            f"{pct(tb, 0.95):7.2f} | a/b p95 {pct(ta, 0.95) / pct(tb, 0.95):5.2f}x (target <= 3x)"
        )
    print(
        f"{database:10} overall           | a p95 {pct(all_a, 0.95):7.2f} b p95 "
        f"{pct(all_b, 0.95):7.2f} | a/b p95 {pct(all_a, 0.95) / pct(all_b, 0.95):5.2f}x "
        "(target <= 3x)",
        flush=True,
    )


# -- driver ----------------------------------------------------------------------------------


def datasets_dir(given: Path | None) -> Path:
    if given is not None:
        return given
    shared = ROOT.parent / "shared" / "datasets"
    fallback = ROOT / "data" / "samhsa" / "national"
    return fallback if not shared.is_dir() and fallback.is_dir() else shared


def workbooks(folder: Path) -> list[Path]:
    found = []
    for pattern in WORKBOOKS:
        matches = sorted(folder.glob(pattern))
        if not matches:
            raise SystemExit(f"{folder}: no {pattern} (see --datasets)")
        found.append(matches[-1])  # the latest edition
    return found


def drop_tables(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def profile(phase: str, database: str, url: str, paths: list[Path], seen_on: date) -> None:
    if phase == "rerun":
        run_phase("first", url, paths, seen_on)
    print(f"# cProfile of {phase} on {database} (both files, one process)")
    for fig in run_phase(phase, url, paths, seen_on, profile=True):
        print(f"# {fig['file']}: {fig['seconds']:.2f} s under the profiler, {counts(fig)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://127.0.0.1:5432/bench",
        help="a database the benchmark may drop and recreate (its tables are dropped after)",
    )
    parser.add_argument(
        "--datasets",
        type=Path,
        help="folder of the National Directory workbooks (default ../shared/datasets, "
        "else data/samhsa/national)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="search rounds over every ZIP")
    parser.add_argument(
        "--repeat", type=int, default=3, help="import repetitions, each into a fresh store"
    )
    parser.add_argument(
        "--quick", action="store_true", help="short run: 1 import repetition, 8 ZIPs, 1 round"
    )
    parser.add_argument("--skip-search", action="store_true", help="import phases only")
    parser.add_argument(
        "--profile",
        choices=["first", "rerun"],
        help="profile this phase with cProfile (on each of --databases) instead of timing",
    )
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--seen-on", type=date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--files", type=Path, nargs="*", help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase:
        child(args.phase, args.url, args.files, args.seen_on, args.cprofile)
        return 0
    paths = workbooks(datasets_dir(args.datasets))
    rounds, zips = (1, ZIPS[:8]) if args.quick else (args.rounds, ZIPS)
    repeat = 1 if args.quick else args.repeat
    seen_on = date.today()  # one day for every phase, as one day's CLI runs would have
    print(f"# {', '.join(p.name for p in paths)} from {paths[0].parent}")
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        made = 0

        def fresh(database: str) -> str:
            """A new, empty, migrated store."""
            nonlocal made
            made += 1
            if database == "sqlite":
                url = f"sqlite:///{tmp}/national-{made}.db"
            else:
                pg_engine(args.pg_url).dispose()  # drops and recreates the database
                url = args.pg_url
            engine = make_engine(url)
            migrate(engine)
            engine.dispose()
            return url

        for database in args.databases.split(","):
            try:
                if args.profile:
                    profile(args.profile, database, fresh(database), paths, seen_on)
                    continue
                url, found = bench_import(
                    database, partial(fresh, database), paths, seen_on, repeat
                )
                problems += found
                if not args.skip_search:
                    bench_search(database, make_engine(url), rounds, zips)
            finally:
                if database != "sqlite":
                    drop_tables(args.pg_url)
    for problem in problems:
        print(f"PROBLEM: {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
