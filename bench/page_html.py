"""Save the HTML of a fixed set of search pages, or compare two saved sets byte for byte.

A speed change to the results page must not change what it shows. Run ``save`` once on the
code before the change and once after, then ``compare`` the two folders:

  PYTHONPATH=$PWD .venv/bin/python bench/page_html.py save /tmp/before --database DB
  (change the code)
  PYTHONPATH=$PWD .venv/bin/python bench/page_html.py save /tmp/after --database DB
  PYTHONPATH=$PWD .venv/bin/python bench/page_html.py compare /tmp/before /tmp/after

DB is a SQLite file ``locator init`` filled with the national data (real names, phones,
websites, states with law badges, a city rule in Spokane). ``save`` works on a copy of it
with phone confirmations added to a third of the facilities (varied outcomes and ages), so
the confirmation lines and their ordering are drawn too. The results pages carry no token or
nonce, so the comparison is exact; each saved file starts with the status code.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from werkzeug.test import TestResponse

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from locator import create_app
from locator.db import make_engine

# Every branch of templates/search.html and web/results.py a visitor can reach.
URLS = (
    "/",
    "/?lang=es",
    "/search",
    "/search?near=zzzz",
    "/search?near=22903&radius=abc",
    "/search?near=Springfield",
    "/search?near=22903&radius=25",
    "/search?near=22903&radius=25&lang=es",
    "/search?near=22903&radius=25&page=2",
    "/search?near=22903&radius=25&page=999",
    "/search?near=22903&radius=40&unit=km",
    "/search?near=Miami, FL&radius=25&service=detox",
    "/search?near=Miami, FL&radius=25&service=detox&lang=es",
    "/search?near=Miami, FL&service=outpatient&service=intensive_outpatient&service=medicaid",
    "/search?near=Chicago, IL&radius=50&service=spanish&service=veterans",
    "/search?near=Spokane, WA&radius=25",
    "/search?near=Spokane, WA&radius=25&law=regulated_kcpa&law=unregulated",
    "/search?near=Seattle, WA&radius=100&law=banned",
    "/search?near=Richmond, VA&radius=25&confirmed=90",
    "/search?near=Anchorage, AK&radius=5&service=detox",
    "/search?near=Anchorage, AK&radius=5&service=detox&lang=es",
    "/search?near=99546&radius=50",
    "/search?near=Vermont",
    "/search?near=Vermont&service=telehealth&lang=es",
    "/search?near=Vermont&page=3",
    "/search?lat=38.03&lon=-78.48&radius=25",
    "/search?lat=38.03&lon=-78.48&radius=10&service=methadone&service=buprenorphine",
    "/search?near=Honolulu, HI&radius=25&service=residential",
    "/search?near=00901&radius=25",
    "/search?near=22903&radius=25&service=meetings",
    "/search?near=22903&radius=&unit=furlongs&confirmed=",
    "/search?near=22903&radius=25&unit=&confirmed=yes&service=nonsense&law=nonsense",
    '/search?near=<b>"22903"</b>&lat=&radius=25',
    "/search?near=Richmond, VA&lat=38.03&lon=-78.48&radius=30&unit=km",
    "/?near=22903&radius=7&unit=km&service=detox&law=banned&confirmed=90",
    "/?lat=38.03&lon=-78.48&lang=es",
    '/?near=<b>"x"</b>\ue000near\ue000&radius=&unit=furlongs&confirmed=&service=nonsense',
    "/?near=&lat=1&lon=2&radius=%3Ci%3E&unit=&law=nonsense&law=banned&service=\ue000radius\ue000",
)


def with_confirmations(source: Path, target: Path) -> None:
    """Copy the database and add phone calls to every third facility."""
    shutil.copyfile(source, target)
    engine = make_engine(f"sqlite:///{target}")
    today = datetime.now(UTC).date()
    outcomes = ("accepting", "wait_list", "no_answer", "closed", "disconnected")
    with engine.begin() as connection:
        found = connection.execute(text("SELECT id FROM facility WHERE id % 3 = 0"))
        ids = [row[0] for row in found]
        connection.execute(
            text(
                "INSERT INTO phone_confirmation (facility_id, called_on, outcome, wait_days, "
                "confirmed, note, username, created_at) VALUES (:f, :d, :o, :w, :c, '', 'b', :d)"
            ),
            [
                {
                    "f": i,
                    "d": (today - timedelta(days=i % 150)).isoformat(),
                    "o": outcomes[i % len(outcomes)],
                    "w": (i % 30) if outcomes[i % len(outcomes)] == "wait_list" else None,
                    "c": '["DT", "OP"]' if i % 2 else "[]",
                }
                for i in ids
            ],
        )
    engine.dispose()


def save(folder: Path, database: Path) -> int:
    """Render every URL on a copy of ``database`` and write each page into ``folder``."""

    def head(_url: str, response: TestResponse) -> str:
        return f"{response.status_code} {response.headers.get('Location', '')}\n"

    draw_twice(database, URLS, folder, "{n:02d}-{draw}.html", head)
    print(f"saved {len(URLS)} pages in {folder}")
    return 0


def draw_twice(
    database: Path,
    urls: Sequence[str],
    folder: Path,
    name: str,
    head: Callable[[str, TestResponse], str],
    **config: Any,
) -> None:
    """Ask each URL twice of an app on a copy of ``database`` (with phone calls added); write
    each answer, after its ``head`` (of the URL and the answer), to ``folder``/``name``
    (formatted with n and draw).

    The second draw comes from whatever the first one cached.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "pages.db"
        with_confirmations(database, copy)
        settings = {"DATABASE_URL": f"sqlite:///{copy}", "TESTING": True, "PAGE_SIZE": 25}
        app = create_app({**settings, **config})
        client = app.test_client()
        for n, url in enumerate(urls):
            for draw in (1, 2):
                response = client.get(url)
                path = folder / name.format(n=n, draw=draw)
                path.write_bytes(head(url, response).encode() + response.get_data())
        app.extensions["engine"].dispose()


def compare(before: Path, after: Path) -> int:
    """Report every page that differs between two saved folders."""
    differ = 0
    for n, url in enumerate(URLS):
        first = (before / f"{n:02d}-1.html").read_bytes()
        for draw in (1, 2):
            name = f"{n:02d}-{draw}.html"
            if first != (before / name).read_bytes() or first != (after / name).read_bytes():
                differ += 1
                print(f"DIFFERS {name}  {url}")
    print(f"{2 * len(URLS) - differ} of {2 * len(URLS)} draws identical to the first one before")
    return 1 if differ else 0


def save_compare_parser(
    description: str | None,
) -> tuple[argparse.ArgumentParser, argparse.ArgumentParser]:
    """Return the command line of a save/compare script and its ``save`` subcommand."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    saving = commands.add_parser("save")
    saving.add_argument("folder", type=Path)
    saving.add_argument("--database", type=Path, required=True, help="a national SQLite file")
    comparing = commands.add_parser("compare")
    comparing.add_argument("before", type=Path)
    comparing.add_argument("after", type=Path)
    return parser, saving


def main(argv: list[str] | None = None) -> int:
    parser, _ = save_compare_parser(__doc__)
    args = parser.parse_args(argv)
    if args.command == "save":
        return save(args.folder, args.database)
    return compare(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
