"""The embedded kratom-law snapshot (data/laws/): reviewed rows for every state and territory.

``states.json`` holds one row per state, DC and territory as reviewed from the project's
research notes (evidence as of its ``as_of`` date), with sources official first;
``federal.json`` holds the dated FDA, DEA and Congress actions on 7-OH. ``locator init``
loads them once: after that only a person changes a row (``locator laws review``), so
re-seeding never overwrites reviewed changes unless asked to.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, col

from locator.laws.status import COVERS, FEDERAL_STATUSES, LOCAL_KINDS, SEVEN_OH_RULES
from locator.models import FederalAction, LocalRestriction, StateLaw
from locator.paths import DATA_DIR
from locator.places.law_filter import LawStatus
from locator.places.states import all_states
from scrapers.base import FeedSchemaError

LAWS_DIR = DATA_DIR / "laws"
STATES_FORMAT = "treatment-locator/state-kratom-law/1"
FEDERAL_FORMAT = "treatment-locator/federal-kratom-actions/1"
DATE_FIELDS = ("enacted_on", "effective_on", "expires_on", "verified_on")


def read_json(path: Path, expected_format: str) -> dict[str, Any]:
    """Read a snapshot file and check its format marker."""
    with path.open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    if data.get("format") != expected_format:
        raise FeedSchemaError(f"{path.name} is not a {expected_format} file.")
    return data


def row_problems(row: dict[str, Any]) -> list[str]:
    """Return what is wrong with one state row (empty when it is sound)."""
    return _enum_problems(row) + _provenance_problems(row) + _date_problems(row)


def _enum_problems(row: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    code = row.get("state", "?")
    if row.get("status") not in {s.value for s in LawStatus}:
        problems.append(f"{code}: status {row.get('status')!r} is not a status")
    if row.get("confidence") not in ("H", "M", "L", ""):
        problems.append(f"{code}: confidence {row.get('confidence')!r} is not H, M or L")
    problems += [f"{code}: covers {c!r}" for c in row.get("covers", []) if c not in COVERS]
    if row.get("seven_oh", {}).get("rule") not in SEVEN_OH_RULES:
        problems.append(f"{code}: 7-OH rule {row.get('seven_oh')!r}")
    problems += [
        f"{code}: local kind {r.get('kind')!r}"
        for r in row.get("local_restrictions", [])
        if r.get("kind") not in LOCAL_KINDS
    ]
    return problems


def _provenance_problems(row: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    code = row.get("state", "?")
    sources = row.get("sources", [])
    flags = [bool(s.get("official")) for s in sources]
    if flags != sorted(flags, reverse=True):
        problems.append(f"{code}: official sources must come first")
    if row.get("status") != LawStatus.UNKNOWN:
        if not any(str(s.get("url", "")).startswith("http") for s in sources):
            problems.append(f"{code}: no source URL")
        if not row.get("verified_on"):
            problems.append(f"{code}: no verified date")
    return problems


def _date_problems(row: dict[str, Any]) -> list[str]:
    problems: list[str] = []
    code = row.get("state", "?")
    for name in DATE_FIELDS:
        if row.get(name):
            try:
                date.fromisoformat(row[name])
            except ValueError:
                problems.append(f"{code}: {name} {row[name]!r} is not a date")
    return problems


def check_states(data: dict[str, Any]) -> None:
    """Check every row and that each state and territory has exactly one.

    Raises:
        FeedSchemaError: listing every problem found.
    """
    rows = data["states"]
    problems = [p for row in rows for p in row_problems(row)]
    codes = [row.get("state") for row in rows]
    expected = {s.code for s in all_states()}
    if sorted(codes) != sorted(expected):
        problems.append(f"rows {sorted(set(codes) ^ expected)} missing or extra")
    if len(codes) != len(set(codes)):
        problems.append("a state has two rows")
    if problems:
        raise FeedSchemaError("data/laws/states.json: " + "; ".join(problems))


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def law_row(row: dict[str, Any]) -> StateLaw:
    """Build a StateLaw from one snapshot row."""
    return StateLaw(
        state=row["state"],
        status=row["status"],
        law_name=row["law_name"],
        citation=row["citation"],
        enacted_on=_date(row["enacted_on"]),
        effective_on=_date(row["effective_on"]),
        expires_on=_date(row["expires_on"]),
        minimum_age=row["minimum_age"],
        covers=row["covers"],
        seven_oh_rule=row["seven_oh"],
        pending_bills=row["pending_bills"],
        sources=row["sources"],
        verified_on=_date(row["verified_on"]),
        confidence=row["confidence"],
        unconfirmed=row["unconfirmed"],
        notes=row["notes"],
    )


def local_rows(row: dict[str, Any]) -> list[LocalRestriction]:
    """Build the LocalRestriction rows of one snapshot row."""
    return [
        LocalRestriction(
            state=row["state"],
            place=item["place"],
            county=item["county"],
            kind=item["kind"],
            source_url=item["source_url"],
            notes=item["notes"],
            unconfirmed=item["unconfirmed"],
            verified_on=_date(row["verified_on"]),
        )
        for item in row["local_restrictions"]
    ]


def federal_rows(data: dict[str, Any]) -> list[FederalAction]:
    """Build the FederalAction rows of federal.json, checking each status."""
    rows = []
    for item in data["actions"]:
        if item["status"] not in FEDERAL_STATUSES:
            raise FeedSchemaError(f"federal.json: {item['key']} has status {item['status']!r}")
        rows.append(
            FederalAction(
                key=item["key"],
                agency=item["agency"],
                action=item["action"],
                acted_on=date.fromisoformat(item["date"]),
                status=item["status"],
                citation=item["citation"],
                url=item["url"],
                summary=item["summary"],
            )
        )
    return rows


def seed_laws(engine: Engine, *, only_if_empty: bool = True, directory: Path = LAWS_DIR) -> int:
    """Load the law snapshot; returns the number of state rows written (0 if left alone)."""
    states = read_json(directory / "states.json", STATES_FORMAT)
    check_states(states)
    federal = federal_rows(read_json(directory / "federal.json", FEDERAL_FORMAT))
    with Session(engine) as session:
        count = session.scalar(select(func.count()).select_from(StateLaw)) or 0
        if only_if_empty and count:
            return 0
        session.execute(delete(LocalRestriction))
        session.execute(delete(StateLaw))
        for row in states["states"]:
            session.add(law_row(row))
            session.add_all(local_rows(row))
        known = set(session.scalars(select(col(FederalAction.key))))
        session.add_all(action for action in federal if action.key not in known)
        session.commit()
    return len(states["states"])
