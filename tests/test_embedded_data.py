"""The embedded data in data/: re-derivable from the real sample, dated, loaded once."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from locator.models import Facility, FacilityService, ImportRun, ServiceCode
from scrapers import snapshot
from tests.conftest import FIXTURES, SAMPLE_SNAPSHOT, seed_sample

SNAPSHOT = SAMPLE_SNAPSHOT


def test_shipped_snapshot_is_what_our_parser_makes_of_the_real_response() -> None:
    shipped = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    rebuilt = snapshot.build_samhsa_snapshot(
        FIXTURES / "feeds" / "samhsa" / "listing_2019_charlottesville.json",
        as_of=date.fromisoformat(shipped["as_of"]),
        source_note=shipped["source_note"],
        source_url=shipped["source_url"],
        sample=shipped["sample"],
    )
    assert rebuilt == shipped


def test_snapshot_says_where_and_when_it_comes_from() -> None:
    shipped = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    assert shipped["as_of"] == "2019-05-30"
    assert shipped["sample"] is True
    assert "github.com/CBHSQ/findtreatment" in shipped["source_url"]
    assert "2019" in shipped["source_note"] and "sample" in shipped["source_note"]


def test_sa_and_mh_rows_of_one_site_become_one_facility(engine: Engine) -> None:
    with Session(engine) as session:
        rows = session.scalars(
            select(Facility).where(Facility.street1 == "800 Preston Avenue")
        ).all()
    assert len(rows) == 1
    assert rows[0].facility_types == ",MH,SA,"
    # 30 real rows, 7 of them second listings of a site already seen.
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Facility)) == 23


def test_every_seeded_facility_is_dated_by_its_source_not_by_today(engine: Engine) -> None:
    with Session(engine) as session:
        facilities = session.scalars(select(Facility)).all()
    assert {f.last_seen for f in facilities} == {date(2019, 5, 30)}
    assert all(f.source == "samhsa" and "2019" in f.source_note for f in facilities)


def test_codebooks_are_loaded_with_their_vintage(engine: Engine) -> None:
    with Session(engine) as session:
        vintages = dict(
            session.execute(
                select(ServiceCode.vintage, func.count()).group_by(ServiceCode.vintage)
            ).all()
        )
        assert vintages["2018"] == 190
        assert (
            session.get(ServiceCode, ("N-SUMHSS", "TELE")).name == "Telemedicine/telehealth therapy"
        )
        assert session.get(ServiceCode, ("2018", "CT")).name == "Computerized treatment"


def test_telehealth_comes_from_tele_never_from_computerized_treatment(engine: Engine) -> None:
    with Session(engine) as session:
        ct_only = (
            session.execute(select(FacilityService.facility_id).where(FacilityService.code == "CT"))
            .scalars()
            .all()
        )
        for facility_id in ct_only:
            codes = set(
                session.scalars(
                    select(FacilityService.code).where(FacilityService.facility_id == facility_id)
                )
            )
            facility = session.get(Facility, facility_id)
            assert facility is not None
            # The 2019 row says "Computerized treatment/telemedicine" -> CT, and TELE only if
            # it also says "Telemedicine/telehealth".
            assert "CT" in codes


def test_seeding_twice_changes_nothing(engine: Engine) -> None:
    (report,) = seed_sample(engine, only_if_empty=False)
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, 23)
    with Session(engine) as session:
        runs = session.scalars(select(ImportRun).order_by(ImportRun.id)).all()
    assert [r.status for r in runs] == ["ok", "ok"]


def test_seed_on_a_loaded_store_does_nothing(engine: Engine) -> None:
    assert seed_sample(engine) == []
