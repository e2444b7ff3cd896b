"""Helpers of bench/load.sh: build the 100k-facility database, write origins and an export,
and sample gunicorn workers' memory during a soak.

  prepare DB ORIGINS --rows N   migrate DB (a SQLite path, or a PostgreSQL URL: that
                                database is dropped and recreated), load N synthetic
                                facilities (bench/search.py's loader; they exist only in
                                that database) and write search origins, one per line
  export CSV --rows N           write bench/import.py's synthetic site export
  rss MASTER_PID                print the summed RSS (MB) of the gunicorn master's workers
  soak MASTER_PID --minutes M --every S
                                sample workers' RSS and heap every S seconds; print the series
                                and the growth from the first to the last sample
"""

from __future__ import annotations

import argparse
import importlib
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import load, make_dataset, origins, pg_engine
from locator.db import make_engine, migrate

PAGE_SIZE = 4096


def prepare(db: str, origins_file: Path, rows: int, seed: int) -> None:
    """Build the database and the origins file."""
    rng = random.Random(seed)
    if db.startswith("postgresql"):
        engine = pg_engine(db)
    else:
        engine = make_engine(db if db.startswith("sqlite:") else f"sqlite:///{db}")
    migrate(engine)
    data = make_dataset(rows, "clustered", rng)
    load(engine, data, rng)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    points = origins(data, "clustered", 1000, rng)
    origins_file.write_text("".join(f"{p.lat:.5f} {p.lon:.5f}\n" for p in points))
    print(f"{db}: {rows} facilities; {origins_file}: {len(points)} origins")


def worker_pids(master: int) -> list[int]:
    """Return the pids of the gunicorn master's children (its workers)."""
    found: list[int] = []
    for task in Path(f"/proc/{master}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(c) for c in children)
    return sorted(found)


def memory_mb(pid: int) -> tuple[float, float]:
    """Return a process's (resident, private anonymous) memory in MB.

    Resident memory includes the pages of the database file that SQLite's mmap touched; those
    belong to the OS page cache and are shared. Private anonymous memory is the heap: what a
    leak would grow.
    """
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "RssAnon"):
            fields[key] = int(value.split()[0]) / 1024
    return fields.get("VmRSS", 0.0), fields.get("RssAnon", 0.0)


def soak(master: int, minutes: float, every: float) -> int:
    """Sample the workers' memory; fail (exit 1) if a worker was replaced or the heap grew
    more than 10% from the first sample to the last."""
    first_pids = worker_pids(master)
    samples: list[tuple[float, float]] = []
    end = time.monotonic() + minutes * 60
    while True:
        pids = worker_pids(master)
        each = [memory_mb(p) for p in pids]
        total = (sum(m[0] for m in each), sum(m[1] for m in each))
        samples.append(total)
        print(
            f"  t={every * (len(samples) - 1):5.0f}s  workers {pids}  "
            f"RSS {total[0]:7.1f} MB  heap (RssAnon) {total[1]:7.1f} MB"
        )
        sys.stdout.flush()
        if time.monotonic() + every > end:
            break
        time.sleep(every)
    rss = (samples[-1][0] - samples[0][0]) / samples[0][0] * 100
    heap = (samples[-1][1] - samples[0][1]) / samples[0][1] * 100
    # The first sample is taken after the warm-up and the import runs, so growth is what
    # sustained load adds over time.
    print(f"RSS  first {samples[0][0]:.1f} MB, last {samples[-1][0]:.1f} MB, growth {rss:+.1f}%")
    print(f"heap first {samples[0][1]:.1f} MB, last {samples[-1][1]:.1f} MB, growth {heap:+.1f}%")
    same = worker_pids(master) == first_pids
    print("workers unchanged" if same else "WORKERS WERE REPLACED (crash or timeout)")
    return 0 if same and heap < 10 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("db")
    p.add_argument("origins", type=Path)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=8)
    e = sub.add_parser("export")
    e.add_argument("csv", type=Path)
    e.add_argument("--rows", type=int, default=100_000)
    r = sub.add_parser("rss")
    r.add_argument("master", type=int)
    s = sub.add_parser("soak")
    s.add_argument("master", type=int)
    s.add_argument("--minutes", type=float, default=10)
    s.add_argument("--every", type=float, default=30)
    args = parser.parse_args(argv)
    if args.command == "prepare":
        prepare(args.db, args.origins, args.rows, args.seed)
    elif args.command == "export":
        # bench/import.py's module name is a keyword, so it cannot be imported by statement.
        importlib.import_module("bench.import").write_export(args.csv, args.rows)
    elif args.command == "rss":
        print(f"{sum(memory_mb(p)[0] for p in worker_pids(args.master)):.1f}")
    else:
        return soak(args.master, args.minutes, args.every)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
