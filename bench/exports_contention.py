"""Search pages while PDF sheets are drawn, and HSDS JSON bytes per facility (issue 19).

Builds a SQLite store from the national SAMHSA substance-use snapshot shipped in
data/samhsa/national/ (real listings; the database is temporary), starts the production
shape (`locator serve --prod`: gunicorn, 2 workers x 4 threads), finds a place whose search
matches 350-500 facilities (a big printable sheet, under export_max_pdf_rows) and then, in
one run:

  baseline   search pages one after another (a different page each time), nobody else;
  with PDFs  the same pages while --pdf-clients clients ask for that sheet back to back
             (each gets its PDF or a 503 and asks again after --pdf-pause seconds).

Figures: p50/p95 of the search page in ms for both, and the delay (p95 with PDFs minus
p95 baseline; target under 200 ms), with the PDFs drawn and refused. Run it again with
--pdf-concurrency 8 (no effective bound) to see what the bound is worth. Then the HSDS JSON
export of the same search: bytes per facility (median, target at most 5 KB).

Run: .venv/bin/python bench/exports_contention.py [--pdf-clients 6] [--seconds 30]
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.search import pct
from locator.db import make_engine, migrate
from locator.paths import DATA_DIR
from scrapers import snapshot

SNAPSHOT = DATA_DIR / "samhsa" / "national" / "snapshots" / "samhsa-sa-2022.json.gz"
PLACES = ["Chicago, IL", "Los Angeles, CA", "Philadelphia, PA", "Boston, MA", "Denver, CO"]
SEARCH_PAGES = ["20001", "60601", "90012", "19103", "02108", "80202", "98101", "30303"]


def build(db: Path) -> str:
    url = f"sqlite:///{db}"
    engine = make_engine(url)
    migrate(engine)
    snapshot.seed(engine, snapshots=[SNAPSHOT])
    engine.dispose()
    return url


def serve(url: str, port: int, concurrency: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "LOCATOR_DATABASE_URL": url,
        "LOCATOR_ENV": "production",
        "LOCATOR_SECRET_KEY": secrets.token_hex(32),
        "LOCATOR_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "LOCATOR_RATELIMIT_ENABLED": "false",
        "LOCATOR_EXPORT_PDF_CONCURRENCY": str(concurrency),
        "LOCATOR_SERVE_TIMEOUT_SECONDS": "120",
    }
    locator = str(Path(sys.executable).parent / "locator")
    args = [locator, "serve", "--prod", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with log.open("wb") as out:
        server = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return server
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.kill()
    raise SystemExit(f"gunicorn did not start; see {log}")


def big_search(base: str) -> str:
    """Return the query of a search matching 350-500 facilities."""
    for place in PLACES:
        for radius in (5, 8, 10, 15, 20, 25, 30, 40, 50):
            query = f"near={quote(place)}&radius={radius}"
            total = requests.get(f"{base}/api/v1/facilities?{query}&per_page=1", timeout=30)
            count = total.json()["total"]
            if 350 <= count <= 500:
                return query
            if count > 500:
                break
    raise SystemExit("no search with 350-500 matches")


def search_timings(base: str, seconds: float) -> list[float]:
    out: list[float] = []
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        zip_code = SEARCH_PAGES[n % len(SEARCH_PAGES)]
        started = time.perf_counter()
        answer = requests.get(f"{base}/search?near={zip_code}&radius=25", timeout=120)
        out.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.status_code
        n += 1
        time.sleep(0.05)
    return out


def pdf_load(
    base: str, query: str, clients: int, pause: float, stop: threading.Event
) -> dict[str, Any]:
    counts: dict[str, Any] = {"drawn": 0, "refused": 0, "seconds": []}
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            started = time.perf_counter()
            answer = requests.get(f"{base}/export/facilities.pdf?{query}", timeout=300)
            with lock:
                if answer.status_code == 200:
                    counts["drawn"] += 1
                    counts["seconds"].append(time.perf_counter() - started)
                else:
                    counts["refused"] += 1
            stop.wait(pause)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    counts["threads"] = threads
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pdf-clients", type=int, default=6)
    parser.add_argument("--pdf-concurrency", type=int, default=1)
    parser.add_argument("--pdf-pause", type=float, default=0.2)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--port", type=int, default=18019)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = build(Path(tmp) / "national.db")
        server = serve(url, args.port, args.pdf_concurrency, Path(tmp) / "gunicorn.log")
        base = f"http://127.0.0.1:{args.port}"
        try:
            query = big_search(base)
            search_timings(base, 3)  # warm both workers
            baseline = search_timings(base, args.seconds)
            stop = threading.Event()
            load = pdf_load(base, query, args.pdf_clients, args.pdf_pause, stop)
            time.sleep(1)
            loaded = search_timings(base, args.seconds)
            stop.set()
            for thread in load["threads"]:
                thread.join(300)
            hsds = requests.get(f"{base}/export/facilities.hsds.json?{query}", timeout=300)
            services = json.loads(hsds.content)
        finally:
            server.terminate()
            server.wait(30)
    sizes = [len(orjson.dumps(s)) for s in services]
    p95_base, p95_load = pct(baseline, 0.95) * 1000, pct(loaded, 0.95) * 1000
    print(f"load average: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print(f"search: {query}; PDF concurrency per worker {args.pdf_concurrency}")
    print(
        f"search page baseline   p50 {statistics.median(baseline) * 1000:7.1f} ms  "
        f"p95 {p95_base:7.1f} ms  ({len(baseline)} pages)"
    )
    print(
        f"search page with PDFs  p50 {statistics.median(loaded) * 1000:7.1f} ms  "
        f"p95 {p95_load:7.1f} ms  ({len(loaded)} pages)"
    )
    pdf_seconds = load["seconds"] or [0.0]
    print(
        f"delay p95 {p95_load - p95_base:+.1f} ms (target < 200 ms); PDFs drawn {load['drawn']} "
        f"(median {statistics.median(pdf_seconds):.2f} s), refused 503 {load['refused']}"
    )
    print(
        f"HSDS JSON: {len(services)} facilities, {len(hsds.content):,} bytes, median "
        f"{statistics.median(sizes):,.0f} bytes per facility (target <= 5,000)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
