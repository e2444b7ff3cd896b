"""Profile a results page and an API search in process, with pyinstrument (the dev extra).

(Not named profile.py: a script in bench/ puts bench/ first on the path, and cProfile imports
the standard library's ``profile``.)

Builds the app on a database made by ``bench/load.py prepare`` (synthetic rows only, never
served elsewhere), sends REQUESTS requests of each kind from random origins through Flask's
test client, and prints pyinstrument's call tree of each, so what a request does besides
the search shows up. Run:

  PYTHONPATH=$PWD .venv/bin/python bench/load.py prepare /tmp/load.db /tmp/origins.txt
  PYTHONPATH=$PWD .venv/bin/python bench/request_profile.py /tmp/load.db /tmp/origins.txt
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pyinstrument import Profiler

from locator import create_app

PATHS = {
    "results page": "/search?radius=25",
    "search API": "/api/v1/facilities?radius=25",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("db", type=Path)
    parser.add_argument("origins", type=Path)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--database-url", default="", help="instead of the SQLite file")
    args = parser.parse_args(argv)
    origins = [line.split() for line in args.origins.read_text().splitlines() if line]
    url = args.database_url or f"sqlite:///{args.db}"
    app = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    rng = random.Random(21)
    for label, prefix in PATHS.items():
        for lat, lon in origins[:20]:  # warm-up: gazetteer, templates, hot pages
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


if __name__ == "__main__":
    raise SystemExit(main())
