"""Cost of the kratom-law filter on the facility search, measured against the same search.

Loads N synthetic facilities (bench/search.py's generator; they exist only in the benchmark's
temporary database), gives them state codes round-robin over the 56 jurisdictions, loads the
embedded law snapshot, then times the project's search (first page of 25 with distances) for
10-, 25- and 100-mile radii: with no law filter, with ``law=regulated_kcpa`` (18 of 56
states) and with ``law=banned,temporary_ban`` (11 of 56). Figures are p50/p95 in ms and the
ratio of each filtered p95 to the unfiltered one from the same run.
Run: .venv/bin/python bench/laws.py --help
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import RADII, load, make_dataset, origins, pct, pg_engine, timed
from locator.db import make_engine, migrate
from locator.facilities.search import FacilityQuery, find_nearby
from locator.places.geo import Point
from locator.places.states import all_states
from scrapers.law_snapshot import seed_laws

FILTERS: dict[str, tuple[str, ...]] = {
    "none": (),
    "kcpa": ("regulated_kcpa",),
    "bans": ("banned", "temporary_ban"),
}


def assign_states(engine: Engine) -> None:
    """Give every synthetic facility a real state code, round-robin by id."""
    codes = [s.code for s in all_states()]
    with engine.begin() as conn:
        for index, code in enumerate(codes):
            conn.execute(
                text("UPDATE facility SET state = :code WHERE id % :n = :k"),
                {"code": code, "n": len(codes), "k": index},
            )
    seed_laws(engine)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()


def search(engine: Engine, laws: tuple[str, ...]) -> Callable[[Point, float, bool], int]:
    def run(origin: Point, miles: float, _filtered: bool) -> int:
        with Session(engine) as session:
            query = FacilityQuery(origin=origin, radius=miles, per_page=25, law_statuses=laws)
            return len(find_nearby(session=session, query=query).hits)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000")
    parser.add_argument("--kind", default="clustered", choices=("uniform", "clustered"))
    parser.add_argument("--databases", default="sqlite", help="sqlite,postgresql")
    parser.add_argument(
        "--pg-url",
        default="postgresql+psycopg://127.0.0.1:5432/locator_bench",
        help="a database the benchmark may drop and recreate",
    )
    parser.add_argument("--queries", type=int, default=60)
    args = parser.parse_args(argv)
    rng = random.Random(20261123)
    print("p50/p95 ms of the project search; ratio = filtered p95 / unfiltered p95")
    for database in args.databases.split(","):
        for n in (int(s) for s in args.sizes.split(",")):
            data = make_dataset(n, args.kind, rng)
            with tempfile.TemporaryDirectory() as tmp:
                if database == "sqlite":
                    engine = make_engine(f"sqlite:///{tmp}/bench.db")
                else:
                    engine = pg_engine(args.pg_url)
                migrate(engine)
                load(engine, data, rng)
                assign_states(engine)
                points = origins(data, args.kind, args.queries, rng)
                for miles in RADII:
                    res = {
                        k: timed(search(engine, v), points, miles, False)
                        for k, v in FILTERS.items()
                    }
                    base = pct(res["none"], 0.95)
                    cells = " ".join(
                        f"{k}:{pct(v, 0.5):6.2f}/{pct(v, 0.95):6.2f} ({pct(v, 0.95) / base:4.2f}x)"
                        for k, v in res.items()
                    )
                    print(f"{database:10} {args.kind} {n:>8} {miles:>4}mi | {cells}", flush=True)
                engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
