"""The embedded kratom-law snapshot (data/laws/): reviewed rows for every state and territory.

``states.json`` holds one row per state, DC and territory as reviewed from the project's
research notes (evidence as of its ``as_of`` date), with sources official first;
``reviews.json`` holds the later reviewed corrections of those rows (who reviewed, when, what
changed and the evidence), applied through the same review path as ``locator laws review``,
so each becomes an accepted LawChangeProposal and a LawHistory row that /laws/<state> shows;
``federal.json`` holds the dated FDA, DEA and Congress actions on 7-OH. ``locator init``
loads them once: after that only a person changes a row (``locator laws review``), so
re-seeding never overwrites reviewed changes unless asked to. Every row, once its reviews
are applied, must carry the confidence the written rule gives its sources
(locator/laws/confidence.py).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, func, select
from sqlmodel import Session, col

from locator.laws.confidence import grade, source_problems
from locator.laws.review import REVIEWABLE, accept
from locator.laws.status import COVERS, FEDERAL_STATUSES, LOCAL_KINDS, SEVEN_OH_RULES
from locator.models import FederalAction, LawChangeProposal, LocalRestriction, StateLaw
from locator.paths import DATA_DIR
from locator.places.law_filter import LawStatus
from locator.places.states import all_states
from scrapers.base import FeedSchemaError

LAWS_DIR = DATA_DIR / "laws"
STATES_FORMAT = "treatment-locator/state-kratom-law/1"
FEDERAL_FORMAT = "treatment-locator/federal-kratom-actions/1"
REVIEWS_FORMAT = "treatment-locator/state-kratom-law-reviews/1"
REVIEW_SOURCE = "project_research"
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


def reviewed_rows(states: dict[str, Any], reviews: dict[str, Any]) -> list[dict[str, Any]]:
    """Return the snapshot rows as they read once every review is applied (for checking)."""
    rows = {row["state"]: dict(row) for row in states["states"]}
    for item in reviews["reviews"]:
        row = rows.get(item["state"])
        if row is None:
            raise FeedSchemaError(
                f"reviews.json: {item['key']} names unknown state {item['state']}"
            )
        row.update({_row_key(k): v for k, v in item["changes"].items()})
        row["verified_on"] = reviews["reviewed_on"]
    return list(rows.values())


def _row_key(field: str) -> str:
    return "seven_oh" if field == "seven_oh_rule" else field


def check_reviews(states: dict[str, Any], reviews: dict[str, Any]) -> None:
    """Check each review names known fields and that every reviewed row meets the rule.

    Raises:
        FeedSchemaError: listing every problem found.
    """
    problems = [
        f"{item['key']}: {name} is not a reviewable field"
        for item in reviews["reviews"]
        for name in item["changes"]
        if name not in REVIEWABLE
    ]
    for row in reviewed_rows(states, reviews):
        problems += row_problems(row) + source_problems(row["state"], row["sources"])
        if row["confidence"] != grade(row["sources"]):
            problems.append(
                f"{row['state']}: confidence {row['confidence']!r} but the rule gives "
                f"{grade(row['sources'])!r}"
            )
    if problems:
        raise FeedSchemaError("data/laws/reviews.json: " + "; ".join(problems))


def _change_values(changes: dict[str, Any]) -> dict[str, Any]:
    return {k: (_date(v) if k in DATE_FIELDS else v) for k, v in changes.items()}


def apply_reviews(session: Session, reviews: dict[str, Any]) -> int:
    """Record the shipped reviews as accepted proposals with history; returns how many were new.

    A review already recorded (a re-seed) has its values set again without a second proposal
    or history row, so the history keeps one entry per reviewed change.
    """
    reviewed_on = date.fromisoformat(reviews["reviewed_on"])
    when = datetime.combine(reviewed_on, time(12), tzinfo=UTC)
    recorded = set(
        session.scalars(
            select(col(LawChangeProposal.fingerprint)).where(
                col(LawChangeProposal.source) == REVIEW_SOURCE
            )
        )
    )
    added = 0
    for item in reviews["reviews"]:
        changes = _change_values(item["changes"])
        if item["key"] in recorded:
            law = session.get(StateLaw, item["state"])
            assert law is not None
            for name, value in changes.items():
                setattr(law, name, value)
            law.verified_on = reviewed_on
            continue
        proposal = _review_proposal(item, when)
        session.add(proposal)
        session.flush()
        assert proposal.id is not None
        accept(
            session=session,
            proposal_id=proposal.id,
            changes=changes,
            reviewed_on=reviewed_on,
            note=_review_note(reviews, item),
            reviewed_at=when,
            commit=False,
        )
        added += 1
    return added


def _review_note(reviews: dict[str, Any], item: dict[str, Any]) -> str:
    return f"Reviewed by {reviews['reviewer']} on {reviews['reviewed_on']}: {item['summary']}"


def _review_proposal(item: dict[str, Any], when: datetime) -> LawChangeProposal:
    diff = "\n".join(
        f"{name}: {json.dumps(value, ensure_ascii=False)}"
        for name, value in item["changes"].items()
    )
    return LawChangeProposal(
        state=item["state"],
        source=REVIEW_SOURCE,
        url=item.get("url", ""),
        title=item["title"][:500],
        fingerprint=item["key"],
        summary=item["summary"],
        diff=diff,
        proposed=item["changes"],
        found_at=when,
    )


def seed_laws(engine: Engine, *, only_if_empty: bool = True, directory: Path = LAWS_DIR) -> int:
    """Load the law snapshot and its reviews; returns the state rows written (0 if left alone)."""
    states = read_json(directory / "states.json", STATES_FORMAT)
    check_states(states)
    reviews = read_json(directory / "reviews.json", REVIEWS_FORMAT)
    check_reviews(states, reviews)
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
        session.flush()
        apply_reviews(session, reviews)
        known = set(session.scalars(select(col(FederalAction.key))))
        session.add_all(action for action in federal if action.key not in known)
        session.commit()
    return len(states["states"])
