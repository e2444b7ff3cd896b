"""The embedded kratom-law snapshot: every jurisdiction, sourced, dated, and values from enums."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlmodel import Session

from locator.laws.status import COVERS, SEVEN_OH_RULES
from locator.models import FederalAction, LocalRestriction, StateLaw
from locator.places.law_filter import LawStatus
from locator.places.states import all_states
from scrapers.base import FeedSchemaError
from scrapers.law_snapshot import (
    FEDERAL_FORMAT,
    LAWS_DIR,
    STATES_FORMAT,
    check_states,
    read_json,
    seed_laws,
)
from tests.utils.laws import get_law, set_law

STATES = read_json(LAWS_DIR / "states.json", STATES_FORMAT)
ROWS = {row["state"]: row for row in STATES["states"]}


def test_every_state_dc_and_territory_has_exactly_one_row() -> None:
    codes = [row["state"] for row in STATES["states"]]
    assert sorted(codes) == sorted(s.code for s in all_states())
    assert len(codes) == 56
    assert {"DC", "PR", "GU", "VI", "AS", "MP"} <= set(codes)


@pytest.mark.parametrize("code", sorted(ROWS))
def test_each_row_is_sourced_dated_and_uses_the_enums(code: str) -> None:
    row = ROWS[code]
    assert row["status"] in {s.value for s in LawStatus}
    assert row["confidence"] in ("H", "M", "L", "")
    assert set(row["covers"]) <= set(COVERS)
    assert row["seven_oh"]["rule"] in SEVEN_OH_RULES
    if row["status"] != LawStatus.UNKNOWN:
        assert any(s["url"].startswith(("https://", "http://")) for s in row["sources"])
        assert date.fromisoformat(row["verified_on"]) <= date.fromisoformat(STATES["as_of"])
        assert row["confidence"] in ("H", "M", "L")
    official = [s["official"] for s in row["sources"]]
    assert official == sorted(official, reverse=True), "official sources come first"


def test_the_counts_match_the_research_notes() -> None:
    by_status: dict[str, set[str]] = {}
    for code, row in ROWS.items():
        by_status.setdefault(row["status"], set()).add(code)
    assert by_status["banned"] == {"AL", "AR", "CT", "IN", "KS", "LA", "TN", "VT", "WI"}
    assert by_status["temporary_ban"] == {"MA", "ND"}
    assert by_status["restricted"] == {"CA", "OH"}
    assert by_status["age_limit_only"] == {"IL", "MN", "NY", "NC"}
    assert len(by_status["regulated_kcpa"]) == 18
    assert by_status["unknown"] == {"DC", "GU", "VI", "AS", "MP"}


def test_rows_the_notes_mark_unconfirmed_stay_unconfirmed() -> None:
    unconfirmed = {code for code, row in ROWS.items() if row["unconfirmed"]}
    assert {"DC", "IA", "ME", "MT", "NH", "NM", "NC", "WY", "GU", "VI", "AS", "MP"} == unconfirmed


def test_a_7oh_ban_is_not_shown_as_a_kratom_ban() -> None:
    florida = ROWS["FL"]
    assert florida["status"] == "regulated_kcpa"
    assert florida["seven_oh"]["rule"] == "banned"
    for threshold in (t for row in ROWS.values() for t in row["seven_oh"]["thresholds"]):
        assert set(threshold) == {"compound", "value", "unit", "basis"}, "a unit and a basis"


def test_a_row_with_a_status_outside_the_enum_or_no_source_is_refused() -> None:
    broken = copy.deepcopy(STATES)
    broken["states"][0]["status"] = "legal"
    broken["states"][1]["sources"] = []
    with pytest.raises(FeedSchemaError) as caught:
        check_states(broken)
    assert "'legal' is not a status" in str(caught.value)
    assert f"{broken['states'][1]['state']}: no source URL" in str(caught.value)


def test_a_missing_territory_is_refused() -> None:
    broken = copy.deepcopy(STATES)
    broken["states"] = [row for row in broken["states"] if row["state"] != "GU"]
    with pytest.raises(FeedSchemaError, match="GU"):
        check_states(broken)


def test_init_loads_laws_local_rules_and_federal_actions(engine: Engine) -> None:
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(StateLaw)) == 56
        assert (session.scalar(select(func.count()).select_from(LocalRestriction)) or 0) > 50
        keys = set(session.scalars(select(FederalAction.key)))
    assert {"FDA-2025-07-29", "FR-2026-13580", "FR-2026-13581"} <= keys
    federal = read_json(LAWS_DIR / "federal.json", FEDERAL_FORMAT)
    assert len(keys) == len(federal["actions"])


def test_seeding_again_keeps_reviewed_changes(engine: Engine) -> None:
    set_law(engine, "ND", notes="Reviewed change")
    assert seed_laws(engine) == 0
    assert get_law(engine, "ND").notes == "Reviewed change"
    assert seed_laws(engine, only_if_empty=False) == 56
    assert get_law(engine, "ND").notes != "Reviewed change"


def test_init_says_the_law_snapshot_is_loaded(tmp_path: Path) -> None:
    from locator import create_app
    from locator.cli import cli

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'new.db'}"})
    result = app.test_cli_runner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    assert "kratom law: 56 states and territories; 0 change proposals to review" in result.output
    app.extensions["engine"].dispose()
