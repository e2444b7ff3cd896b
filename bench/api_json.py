"""Save the search API's JSON answers to a fixed set of queries, or compare two saved sets.

A speed change to the search API must not change what it answers, byte for byte. As with
bench/page_html.py (whose copy of the database, with phone calls added to a third of the
facilities, this uses too): ``save`` once on the code before the change and once after, then
``compare`` the two folders:

  PYTHONPATH=$PWD .venv/bin/python bench/api_json.py save /tmp/api-before --database DB
  (change the code)
  PYTHONPATH=$PWD .venv/bin/python bench/api_json.py save /tmp/api-after --database DB
  PYTHONPATH=$PWD .venv/bin/python bench/api_json.py compare /tmp/api-before /tmp/api-after

DB is a SQLite file ``locator init`` filled with the national data. The queries are the fixed
ones below (filters, paging, past the end, empty radii with the nearest matches outside,
every kind of bad input, the facility records) and ``--random N`` more from seeded random
origins and choices; each is asked twice (the second draw meets whatever the first cached).
Each saved answer starts with its status code and content type.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

from werkzeug.test import TestResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.page_html import draw_twice, save_compare_parser

API = "/api/v1/facilities"
FIXED = (
    f"{API}?near=22903&radius=25",
    f"{API}?near=22903&radius=25&lang=es",
    f"{API}?near=22903&radius=25&page=2",
    f"{API}?near=22903&radius=25&page=999",
    f"{API}?near=22903&radius=40&unit=km&per_page=7&page=3",
    f"{API}?near=Miami, FL&radius=25&service=detox",
    f"{API}?near=Miami, FL&service=outpatient&service=intensive_outpatient&service=medicaid",
    f"{API}?near=Chicago, IL&radius=50&service=spanish&service=veterans",
    f"{API}?near=Spokane, WA&radius=25",
    f"{API}?near=Spokane, WA&radius=25&law=regulated_kcpa&law=unregulated",
    f"{API}?near=Seattle, WA&radius=100&law=banned",
    f"{API}?near=Richmond, VA&radius=25&confirmed=90",
    f"{API}?near=Richmond, VA&radius=100&confirmed=30&type=OTP",
    f"{API}?near=Anchorage, AK&radius=5&service=detox",
    f"{API}?near=Anchorage, AK&radius=5&service=detox&lang=es",
    f"{API}?near=99546&radius=50",
    f"{API}?near=Vermont",
    f"{API}?near=Vermont&service=telehealth&lang=es",
    f"{API}?near=Vermont&page=3",
    f"{API}?near=Vermont&page=300",
    f"{API}?lat=38.03&lon=-78.48&radius=25",
    f"{API}?lat=38.03&lon=-78.48&radius=10&service=methadone&service=buprenorphine",
    f"{API}?lat=30&lon=-140&radius=5",
    f"{API}?lat=30&lon=-140&radius=5&service=detox&type=OTP",
    f"{API}?lat=51.9&lon=179.5&radius=100",
    f"{API}?near=Honolulu, HI&radius=25&service=residential",
    f"{API}?near=00901&radius=25",
    f"{API}?near=22903&radius=25&per_page=100",
    f"{API}?near=22903&radius=500",
    f"{API}?near=22903&radius=0",
    f"{API}?near=22903&radius=abc",
    f"{API}?near=22903&radius=25&unit=furlongs",
    f"{API}?near=22903&service=nonsense",
    f"{API}?near=22903&type=XYZ",
    f"{API}?near=22903&law=nonsense",
    f"{API}?near=22903&page=0",
    f"{API}?near=22903&per_page=1000",
    f"{API}?near=22903&confirmed=yes",
    f"{API}?near=zzzz",
    f"{API}?lat=38.03",
    f"{API}?lat=1e999&lon=2",
    f"{API}?near=Springfield",
    f"{API}",
    f"{API}/1",
    f"{API}/3",
    f"{API}/999999999",
)
SERVICES = ("", "detox", "outpatient", "telehealth", "medicaid", "spanish", "methadone")
LAWS = ("", "banned", "regulated_kcpa", "unregulated", "age_limit_only")


def random_urls(count: int) -> list[str]:
    """Return ``count`` searches from seeded random US origins with random choices."""
    rng = random.Random(21)
    urls = []
    for _ in range(count):
        lat, lon = rng.uniform(25, 49), rng.uniform(-124, -67)
        url = f"{API}?lat={lat:.4f}&lon={lon:.4f}&radius={rng.choice((5, 10, 25, 100))}"
        for name, choices in (("service", SERVICES), ("law", LAWS)):
            choice = rng.choice(choices)
            url += f"&{name}={choice}" if choice else ""
        if rng.random() < 0.3:
            url += f"&page={rng.randint(2, 5)}"
        if rng.random() < 0.2:
            url += "&unit=km&lang=es"
        urls.append(url)
    return urls


def save(folder: Path, database: Path, count: int) -> int:
    """Ask every query on a copy of ``database`` and write each answer into ``folder``."""
    urls = [*FIXED, *random_urls(count)]

    def head(url: str, response: TestResponse) -> str:
        return f"{url}\n{response.status_code} {response.content_type}\n"

    # hundreds of API calls from one address: no rate limit
    draw_twice(database, urls, folder, "{n:04d}-{draw}.json", head, RATELIMIT_ENABLED=False)
    print(f"saved {len(urls)} answers, twice each, in {folder}")
    return 0


def compare(before: Path, after: Path) -> int:
    """Report every answer that differs between two saved folders."""
    names = sorted(path.name for path in before.glob("*.json"))
    differ = 0
    for name in names:
        first = (before / name.replace("-2.", "-1.")).read_bytes()
        if first != (before / name).read_bytes() or first != (after / name).read_bytes():
            differ += 1
            print(f"DIFFERS {name}  {first.splitlines()[0].decode()}")
    print(f"{len(names) - differ} of {len(names)} answers identical to the first one before")
    return 1 if differ or not names else 0


def main(argv: list[str] | None = None) -> int:
    parser, saving = save_compare_parser(__doc__)
    saving.add_argument("--random", type=int, default=300, help="random searches besides")
    args = parser.parse_args(argv)
    if args.command == "save":
        return save(args.folder, args.database, args.random)
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
