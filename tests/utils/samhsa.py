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
