"""Real-shaped FindTreatment.gov v2 payloads built from the recorded 2019 listing (test only).

v2 differs from the 2019 ``listing`` answer (shared/sources/samhsa.md §5): rows carry no
``frid``, latitude/longitude stay strings, OTP rows come with ``services: null``, one site
appears as SA and MH rows, and asking past the last page gives ``rows: []``.
"""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from tests.conftest import FIXTURES

LISTING = FIXTURES / "feeds" / "samhsa" / "listing_2019_charlottesville.json"
PAGE_SIZE = 10


def v2_rows() -> list[dict[str, Any]]:
    """Return the 30 recorded rows as v2 would send them (no frid; one OTP row, services null)."""
    rows = json.loads(LISTING.read_text(encoding="utf-8"))["rows"]
    out = []
    for row in rows:
        row = {k: v for k, v in row.items() if k != "frid"}
        out.append(row)
    otp = copy.deepcopy(out[-1])
    otp.update(
        name1="Test OTP row",
        name2="",
        street1="1 Test Street",
        typeFacility="OTP",
        services=None,
        phone="",
        intake1=None,
    )
    out.append(otp)
    return out


def v2_pages(rows: list[dict[str, Any]], page_size: int = PAGE_SIZE) -> dict[int, dict[str, Any]]:
    """Split rows into numbered v2 pages; the page after the last has ``rows: []``."""
    total = max(1, math.ceil(len(rows) / page_size))
    pages = {}
    for number in range(1, total + 2):
        chunk = rows[(number - 1) * page_size : number * page_size]
        ranked = [{**row, "_irow": (number - 1) * page_size + i + 1} for i, row in enumerate(chunk)]
        pages[number] = {
            "page": number,
            "totalPages": total,
            "recordCount": len(rows),
            "rows": ranked,
        }
    return pages


def many_rows(count: int) -> list[dict[str, Any]]:
    """Return ``count`` distinct v2 rows around Charlottesville, named as test sites.

    Each is a recorded row with a numbered name and street and its point moved a little, so
    every one is its own facility (a large file for kill and concurrency tests).
    """
    base = [row for row in v2_rows() if row.get("services")]
    out = []
    for number in range(count):
        row = copy.deepcopy(base[number % len(base)])
        row.update(
            name1=f"Test site {number}",
            name2="",
            street1=f"{number} Test Street",
            latitude=f"{38.03 + (number % 100) * 0.001:.6f}",
            longitude=f"{-78.48 - (number // 100 % 100) * 0.001:.6f}",
        )
        out.append(row)
    return out


def write_pages(path: Any, rows: list[dict[str, Any]], page_size: int = 1000) -> None:
    """Save rows as a list of v2 pages, as `locator import samhsa --file` reads them."""
    pages = v2_pages(rows, page_size)
    path.write_text(json.dumps([pages[n] for n in sorted(pages)]), encoding="utf-8")
