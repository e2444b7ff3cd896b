"""Results-page render time next to the bare search call, and the home page's weight.

Loads N synthetic facilities (default 100k; benchmark database only, never served) with
bench/search.py's loader and the shipped law snapshot (so each result has its law badge), then
for the same origins (25-mile searches, 25 results per page):

  search  the project's search call alone (locator.search.find_nearby, fresh session);
  page    GET /search?lat=…&lon=…&radius=25 through the app (parsing, search, template,
          response), in-process with Flask's test client: server time, no network.

Figures: p50/p95 in ms and page/search as a ratio of the same run's p95 (target: at most 3x).
With --national DATABASE_URL (a database `locator init` filled with the national data) it
measures instead, on that data, a normal search (25 mi from ZIP centroids that have
facilities near) against an empty search with its fallback (detox within 10 mi of ZIP
centroids that have none, then the 5 nearest beyond: locator.facilities.search.nearest_beyond),
as bare calls and as pages; target: empty + fallback at most 3x the normal search at p95,
and the normal page at most 3x its own bare search at p95 (the two timed alternately).

Then the bytes the home page transfers: its HTML plus every stylesheet, script, icon and image
it links (map tiles excluded; the home page has no map), target under 100 KB, and the same for
a results page with its map for reference. Run: .venv/bin/python bench/pages.py --help
"""

from __future__ import annotations

import argparse
import gc
import random
import re
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from flask.testing import FlaskClient
from sqlalchemy import Engine, text
from sqlmodel import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import load, make_dataset, origins, pct
from locator import create_app
from locator.db import make_engine, migrate
from locator.facilities.search import FacilityQuery, find_nearby, nearest_beyond
from locator.places.gazetteer import embedded_gazetteer
from locator.places.geo import Point
from scrapers.law_snapshot import seed_laws

ASSET = re.compile(r'<(?:link|script|img)\b[^>]*?(?:href|src)="(/[^"]+)"')


def timed(
    runs: Sequence[Callable[[Point], object]], points: list[Point], rounds: int
) -> list[list[float]]:
    """Time each of ``runs`` on every point, alternating them point by point.

    Alternating (and swapping which goes first each round) puts both under the same machine
    load, so a busy spell on a shared machine moves the two figures together, not the ratio.
    """
    for point in points[:5]:
        for run in runs:
            run(point)
    out: list[list[float]] = [[] for _ in runs]
    for round_ in range(rounds):
        order = list(enumerate(runs))
        if round_ % 2:
            order.reverse()
        for point in points:
            for index, run in order:
                started = time.perf_counter()
                run(point)
                out[index].append((time.perf_counter() - started) * 1000)
    return out


def give_law_badges(engine: Engine) -> None:
    """Load the shipped kratom-law snapshot and put the synthetic rows in real places.

    Every result then carries its state's law badge, as served pages do (bench/search.py's
    rows sit in state "ZZ", which has none), and every 40th row lies in a city with a local
    rule of its own (Spokane, WA), the costlier badge.
    """
    seed_laws(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE facility SET state = 'VA', city = 'Testville'"))
        connection.execute(
            text("UPDATE facility SET state = 'WA', city = 'Spokane' WHERE id % 40 = 0")
        )


def page_weight(client: FlaskClient, url: str) -> tuple[int, dict[str, int]]:
    """Return the bytes of a page and of each local asset it links."""
    page = client.get(url)
    assert page.status_code == 200, (url, page.status_code)
    html = page.get_data(as_text=True)
    assets = {}
    for path in dict.fromkeys(ASSET.findall(html)):
        asset = client.get(path)
        assert asset.status_code == 200, path
        assets[path] = len(asset.get_data())
        asset.close()
    return len(page.get_data()), assets


def sample_origins(
    engine: Engine, searches: int, rng: random.Random
) -> tuple[list[Point], list[Point]]:
    """Return ZIP centroids with facilities within 25 mi, and ones with no detox within 10."""
    zips = list(embedded_gazetteer()._zips.values())
    rng.shuffle(zips)
    normal_points: list[Point] = []
    empty_points: list[Point] = []
    with Session(engine) as session:
        for lat, lon, *_rest in zips:
            if len(normal_points) >= searches and len(empty_points) >= searches:
                break
            point = Point(lat, lon)
            near = FacilityQuery(origin=point, radius=25, per_page=25)
            detox = FacilityQuery(origin=point, radius=10, categories=("detox",), per_page=25)
            if len(normal_points) < searches and find_nearby(session=session, query=near).hits:
                normal_points.append(point)
            elif (
                len(empty_points) < searches and not find_nearby(session=session, query=detox).total
            ):
                empty_points.append(point)
    return normal_points, empty_points


def national_fallback(url: str, searches: int, rounds: int, rng: random.Random) -> int:
    """Time a normal search against an empty one with its fallback, on loaded national data."""
    engine = make_engine(url)
    app = create_app({"DATABASE_URL": url, "TESTING": True, "PAGE_SIZE": 25})
    client = app.test_client()
    normal_points, empty_points = sample_origins(engine, searches, rng)

    def normal(point: Point) -> object:
        with Session(engine) as session:
            query = FacilityQuery(origin=point, radius=25, per_page=25)
            return find_nearby(session=session, query=query).hits

    def empty(point: Point) -> object:
        with Session(engine) as session:
            query = FacilityQuery(origin=point, radius=10, categories=("detox",), per_page=25)
            assert not find_nearby(session=session, query=query).total
            return nearest_beyond(session=session, query=query)

    def normal_page(point: Point) -> object:
        response = client.get(f"/search?lat={point.lat:.5f}&lon={point.lon:.5f}&radius=25")
        assert response.status_code == 200, response.status_code
        return response.get_data()

    def empty_page(point: Point) -> object:
        response = client.get(
            f"/search?lat={point.lat:.5f}&lon={point.lon:.5f}&radius=10&service=detox"
        )
        assert response.status_code == 200 and b"nearest-outside" in response.get_data()
        return response.get_data()

    pairs = list(zip(normal_points, empty_points, strict=False))
    print(f"# national data at {url}: {len(pairs)} origin pairs, {rounds} rounds, alternated")
    for label, runs in (("search", (normal, empty)), ("page", (normal_page, empty_page))):
        # each run gets its own kind of origin: timed() hands both the same point, so pair them
        paired = [(lambda pair, run=run, i=i: run(pair[i])) for i, run in enumerate(runs)]
        normal_ms, empty_ms = timed(paired, pairs, rounds)
        for name, values in (("normal", normal_ms), ("empty+fallback", empty_ms)):
            print(
                f"{label:6} {name:15} p50 {pct(values, 0.5):7.2f} ms   "
                f"p95 {pct(values, 0.95):7.2f} ms"
            )
        ratio = pct(empty_ms, 0.95) / pct(normal_ms, 0.95)
        verdict = "ok" if ratio <= 3 else "OVER"
        print(f"{label:6} empty+fallback/normal p95 ratio {ratio:.2f}x (target <= 3x) {verdict}")
    bare, rendered = timed((normal, normal_page), normal_points, rounds)
    ratio = pct(rendered, 0.95) / pct(bare, 0.95)
    verdict = "ok" if ratio <= 3 else "OVER"
    print(
        f"normal page p95 {pct(rendered, 0.95):.2f} ms / search p95 {pct(bare, 0.95):.2f} ms "
        f"(timed alternately): {ratio:.2f}x (target <= 3x) {verdict}"
    )
    engine.dispose()
    app.extensions["engine"].dispose()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the searches")
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--national",
        metavar="DATABASE_URL",
        help="measure the empty search with its fallback on this loaded national database",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    if args.national:
        return national_fallback(args.national, args.searches, args.rounds, rng)

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench-pages.db"
        engine = make_engine(url)
        migrate(engine)
        data = make_dataset(args.rows, "clustered", rng)
        load(engine, data, rng)
        give_law_badges(engine)
        app = create_app({"DATABASE_URL": url, "TESTING": True, "PAGE_SIZE": 25})
        client = app.test_client()
        points = origins(data, "clustered", args.searches, rng)
        del data  # the rows live in the database now; a server does not hold them in memory
        gc.collect()

        def search(point: Point) -> Sequence[object]:
            with Session(engine) as session:
                query = FacilityQuery(origin=point, radius=25, per_page=25)
                return find_nearby(session=session, query=query).hits

        def page(point: Point) -> object:
            response = client.get(f"/search?lat={point.lat:.5f}&lon={point.lon:.5f}&radius=25")
            assert response.status_code == 200, response.status_code
            return response.get_data()

        hits = [len(search(p)) for p in points]
        bare, rendered = timed((search, page), points, args.rounds)
        print(f"# {args.rows} facilities (SQLite), {len(points)} searches of 25 mi, 25 per page,")
        print(f"# {args.rounds} rounds, search and page timed alternately")
        print(f"# results per page: mean {sum(hits) / len(hits):.1f}, max {max(hits)}")
        for name, values in (("search", bare), ("page", rendered)):
            print(f"{name:7} p50 {pct(values, 0.5):7.2f} ms   p95 {pct(values, 0.95):7.2f} ms")
        ratio = pct(rendered, 0.95) / pct(bare, 0.95)
        verdict = "ok" if ratio <= 3 else "OVER"
        print(f"page/search p95 ratio {ratio:.2f}x (target <= 3x) {verdict}")

        for label, url_path in (("home", "/"), ("results", "/search?near=22903&radius=25")):
            size, assets = page_weight(client, url_path)
            total = size + sum(assets.values())
            print(f"{label:8} {total / 1024:7.1f} KB  (html {size / 1024:.1f} KB", end="")
            print(
                "".join(f", {p.rsplit('/', 1)[-1]} {b / 1024:.1f}" for p, b in assets.items()),
                end="",
            )
            print(")" + ("  target < 100 KB" if label == "home" else "  map tiles excluded"))
        engine.dispose()
        app.extensions["engine"].dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
