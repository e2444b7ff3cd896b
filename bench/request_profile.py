"""Profile a results page and an API search in process, with pyinstrument (the dev extra), or
count their instructions per request next to the framework's floor, with callgrind.

(Not named profile.py: a script in bench/ puts bench/ first on the path, and cProfile imports
the standard library's ``profile``.)

Builds the app on a database made by ``bench/load.py prepare`` (synthetic rows only, never
served elsewhere), sends REQUESTS requests of each kind from random origins through Flask's
test client, and prints pyinstrument's call tree of each, so what a request does besides
the search shows up. Run:

  PYTHONPATH=$PWD .venv/bin/python bench/load.py prepare /tmp/load.db /tmp/origins.txt
  PYTHONPATH=$PWD .venv/bin/python bench/request_profile.py /tmp/load.db /tmp/origins.txt

``--instructions`` instead runs each kind under valgrind's callgrind (``apt-get install -y
valgrind``), once with no request after the warm-up and once with REQUESTS, and prints the
instructions a request costs: the search API and the results page beside bench/floor_app.py's
JSON body and HTML page, the floors bench/load.sh serves. Instructions are counted, not timed,
so the figure is the same on a busy machine, and the floor's share of ours is about what wrk
measures as a share of req/s (both CPU-bound on 2 cores). It takes a few minutes (the
gazetteer is built under valgrind twice per kind):

  PYTHONPATH=$PWD .venv/bin/python bench/request_profile.py /tmp/load.db /tmp/origins.txt \\
      --instructions --requests 150
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask
from pyinstrument import Profiler

from locator import create_app

PATHS = {
    "results page": "/search?radius=25",
    "search API": "/api/v1/facilities?radius=25",
}
# What --instructions compares: each of ours beside the floor bench/load.sh sets it against.
PAIRS = (("search API", "floor json"), ("results page", "floor html"))
FLOOR_PATHS = {"floor json": "/json?x=1", "floor html": "/html?x=1"}
WARM_UP = 20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("db", type=Path)
    parser.add_argument("origins", type=Path)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default="", help="instead of the SQLite file")
    parser.add_argument("--instructions", action="store_true", help="count them (callgrind)")
    parser.add_argument("--replay", default="", help=argparse.SUPPRESS)  # one run, for valgrind
    args = parser.parse_args(argv)
    origins = [line.split() for line in args.origins.read_text().splitlines() if line]
    url = args.database_url or f"sqlite:///{args.db}"
    if args.replay:
        replay(args.replay, url, origins, args.requests)
        return 0
    if args.instructions:
        return count_instructions(args)
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    rng = random.Random(21)
    for label, prefix in PATHS.items():
        for lat, lon in origins[:WARM_UP]:  # warm-up: gazetteer, templates, hot pages
            client.get(f"{prefix}&lat={lat}&lon={lon}")
        profiler = Profiler(interval=0.0002)
        started = time.perf_counter()
        with profiler:
            for _ in range(args.requests):
                lat, lon = rng.choice(origins)
                response = client.get(f"{prefix}&lat={lat}&lon={lon}")
                assert response.status_code == 200, response.status_code
        each = (time.perf_counter() - started) / args.requests * 1000
        print(f"## {label}: {each:.2f} ms a request (profiled, {args.requests} requests)")
        print(profiler.output_text(unicode=False, color=False, show_all=False))
    return 0


def replay(label: str, url: str, origins: list[list[str]], requests: int) -> None:
    """Warm up, then send ``requests`` requests of one kind (what valgrind counts)."""
    app: Flask
    if label in FLOOR_PATHS:
        from bench.floor_app import app

        paths = [FLOOR_PATHS[label]] * (WARM_UP + requests)
    else:
        app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
        rng = random.Random(21)
        picked = [rng.choice(origins) for _ in range(WARM_UP + requests)]
        paths = [f"{PATHS[label]}&lat={lat}&lon={lon}" for lat, lon in picked]
    client = app.test_client()
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)


COLLECTED = re.compile(r"Collected : (\d+)")


def count_instructions(args: argparse.Namespace) -> int:
    """Print each kind's instructions a request, ours beside the floor's."""
    kinds = [kind for pair in PAIRS for kind in pair]
    runs = [(kind, n) for kind in kinds for n in (0, args.requests)]
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        found = pool.map(lambda run: _collected(args, *run), runs)
        counts = dict(zip(runs, found, strict=True))
    each = {kind: (counts[kind, args.requests] - counts[kind, 0]) / args.requests for kind in kinds}
    for kind in kinds:
        print(f"{kind:13} {each[kind] / 1e6:6.2f} M instructions a request ({args.requests})")
    for ours, floor in PAIRS:
        share = 100 * each[floor] / each[ours]
        print(f"{ours} vs {floor}: the floor's cost is {share:.1f}% of ours")
    return 0


def _collected(args: argparse.Namespace, kind: str, requests: int) -> int:
    """Run one kind under callgrind and return the instructions it counted."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable]
    command += [__file__, str(args.db), str(args.origins), "--replay", kind]
    command += ["--requests", str(requests), "--database-url", args.database_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    found = COLLECTED.findall(done.stderr)
    if done.returncode or not found:
        raise SystemExit(f"valgrind counted nothing for {kind}:\n{done.stderr[-2000:]}")
    return int(found[-1])


if __name__ == "__main__":
    raise SystemExit(main())
