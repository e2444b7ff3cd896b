"""One site, several sources: the store keeps the union and loses nothing when they combine.

The workbooks are trimmed copies of SAMHSA's real 2022 National Directories (tests/fixtures/
README.md): the same ten sites in the substance-use and the mental-health directory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col

from locator.cli import cli
from locator.models import Facility, FacilityService, FacilitySource, ImportRun, ServiceCode
from tests.conftest import FIXTURES, make_app
from tests.utils.facilities import codes_not_copied

SA = FIXTURES / "feeds" / "samhsa" / "National_Directory_SA_Facilities_2022_trimmed.xlsx"
MH = FIXTURES / "feeds" / "samhsa" / "National_Directory_MH_Facilities_2022_trimmed.xlsx"


@pytest.fixture
def cli_app(empty_db_url: str) -> Iterator[Flask]:
    app = make_app(empty_db_url)
    yield app
    app.extensions["engine"].dispose()


def _import(runner: FlaskCliRunner, path: Path, *options: str) -> str:
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(path), *options])
    assert result.exit_code == 0, result.output
    return result.output


def _sites(engine: Engine) -> dict[tuple[str, str], tuple[str, frozenset[str], bool]]:
    """Each facility by name and street: its types, service codes and active flag (and each
    facility's own copy of its codes agrees with its service rows)."""
    assert codes_not_copied(engine) == []
    with Session(engine) as session:
        codes: dict[int, set[str]] = {}
        for facility_id, code in session.execute(
            select(FacilityService.facility_id, FacilityService.code)
        ):
            codes.setdefault(facility_id, set()).add(code)
        return {
            (f.name, f.street1): (f.facility_types, frozenset(codes.get(f.id, ())), f.active)
            for f in session.scalars(select(Facility))
        }


def _facility(engine: Engine, street: str) -> Facility:
    with Session(engine) as session:
        return session.scalars(select(Facility).where(col(Facility.street1) == street)).one()


def _codes(engine: Engine, street: str) -> set[str]:
    with Session(engine) as session:
        facility = session.scalars(select(Facility).where(col(Facility.street1) == street)).one()
        return set(
            session.scalars(
                select(FacilityService.code).where(FacilityService.facility_id == facility.id)
            )
        )


def test_sa_then_mh_gives_the_same_facilities_and_services_as_mh_then_sa(
    empty_db_url: str, tmp_path: Path
) -> None:
    first = make_app(empty_db_url)
    _import(first.test_cli_runner(), SA)
    _import(first.test_cli_runner(), MH)
    other = make_app(f"sqlite:///{tmp_path / 'other.db'}")
    assert other.test_cli_runner().invoke(cli, ["migrate"]).exit_code == 0
    _import(other.test_cli_runner(), MH)
    _import(other.test_cli_runner(), SA)
    one, two = _sites(first.extensions["engine"]), _sites(other.extensions["engine"])
    assert one == two
    # 20 rows: 9 sites in both directories, a site listed twice in each (Alabama in the SA,
    # Jackson in the MH directory) and Carl Albert's two listings.
    assert len(one) == 10
    for app in (first, other):
        app.extensions["engine"].dispose()


def test_the_mental_health_directory_keeps_community_bridges_detox(cli_app: Flask) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    assert "DT" in _codes(engine, "2770 East Van Buren Street")
    output = _import(runner, MH)
    assert "merged 1" in output and "joined 8 sites another source lists" in output
    codes = _codes(engine, "2770 East Van Buren Street")
    # Detox from the SA directory, psychiatric hospital care from the MH one.
    assert {"DT", "SA", "MH", "PSY"} <= codes
    for street in ("3550 East Pinchot Avenue", "5454 Yorktowne Drive"):  # Valley, Anchor
        assert "DT" in _codes(engine, street)
    central = _facility(engine, "2770 East Van Buren Street")
    assert central.facility_types == ",MH,SA,"
    assert "Drug and Alcohol Use Treatment" in central.source_note
    assert "Mental Health Treatment" in central.source_note


def test_each_source_of_a_site_is_recorded_with_its_date(cli_app: Flask) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    _import(runner, MH)
    facility = _facility(engine, "5454 Yorktowne Drive")
    with Session(engine) as session:
        sources = session.scalars(
            select(FacilitySource).where(FacilitySource.facility_id == facility.id)
        ).all()
    assert sorted(s.source for s in sources) == ["samhsa-mh-2022", "samhsa-sa-2022"]
    # The workbooks' own date (SAMHSA's export of May 2022), not the day of the import.
    assert {s.as_of.isoformat() for s in sources} == {"2022-05-19"}
    assert all(s.active for s in sources)


def test_abbreviated_and_written_out_names_at_one_address_are_one_site(cli_app: Flask) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    _import(runner, MH)
    sites = _sites(engine)
    # "South Central Alabama MHC" (SA) and "South Central Alabama MH Center" (MH).
    alabama = [key for key in sites if key[1] == "205 Academy Drive"]
    assert len(alabama) == 1 and sites[alabama[0]][0] == ",MH,SA,"
    # "Hope for Tomorrow MH Servs" and "... Mental Hlth Servs"; "Mt Grove"/"Mount Grove";
    # "Frontier Health Inc"/"Frontier Health"; "Jackson CMHC"/"... Community Mental Hlth Ctr".
    for street in (
        "238 North Westmonte Drive",
        "66 East State Road",
        "1006 U.S. Highway 23 North",
        "15055 NW 27th Avenue",
    ):
        assert len([key for key in sites if key[1] == street]) == 1, street
    # A name that only one listing extends ("Carl Albert" / "Carl Albert CMHC") stays two
    # listings: telling a suffix from a different program needs a person.
    assert len([key for key in sites if key[1] == "117 Rogers Drive"]) == 2


def test_reimporting_a_directory_changes_nothing(cli_app: Flask) -> None:
    runner = cli_app.test_cli_runner()
    _import(runner, SA)
    _import(runner, MH)
    again = _import(runner, SA)
    assert "inserted 0, updated 0, unchanged 9" in again


def _trimmed_copy(source: Path, target: Path, drop_street: str) -> Path:
    workbook = load_workbook(source)
    sheet = workbook["Facilities List"]
    for row in range(sheet.max_row, 1, -1):
        if sheet.cell(row, 3).value == drop_street:
            sheet.delete_rows(row)
    workbook.save(target)
    return target


def test_a_source_that_stops_listing_a_site_withdraws_only_its_own_part(
    cli_app: Flask, tmp_path: Path
) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    _import(runner, MH)
    without = _trimmed_copy(
        SA, tmp_path / "National_Directory_SA_Facilities_2022.xlsx", "2770 East Van Buren Street"
    )
    output = _import(runner, without, "--full-refresh")
    assert "deactivated 1" in output
    central = _facility(engine, "2770 East Van Buren Street")
    assert central.active  # the MH directory still lists it
    assert central.facility_types == ",MH,"
    codes = _codes(engine, "2770 East Van Buren Street")
    assert "PSY" in codes and "DT" not in codes  # detox was only the SA directory's word
    # A site only the SA directory listed would go inactive, never deleted.
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Facility)) == 10


def test_a_full_refresh_that_would_retire_too_much_is_refused(
    cli_app: Flask, tmp_path: Path
) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    workbook = load_workbook(SA)
    sheet = workbook["Facilities List"]
    sheet.delete_rows(3, sheet.max_row)  # keep the header and one site
    few = tmp_path / "National_Directory_SA_Facilities_2022.xlsx"
    workbook.save(few)
    before = _sites(engine)
    refused = runner.invoke(cli, ["import", "samhsa", "--file", str(few), "--full-refresh"])
    assert refused.exit_code != 0
    assert "would retire 8 of the 9 active listings" in refused.output
    assert "--force" in refused.output
    assert _sites(engine) == before
    with Session(engine) as session:
        run = session.scalars(select(ImportRun).order_by(col(ImportRun.id).desc())).first()
    assert run is not None and run.status == "failed" and "would retire" in run.error
    forced = _import(runner, few, "--full-refresh", "--force")
    assert "deactivated 8" in forced


def test_a_cut_short_file_with_full_refresh_retires_nothing_and_exits_non_zero(
    cli_app: Flask, tmp_path: Path
) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    export = FIXTURES / "feeds" / "samhsa" / "locatorExcel_row_2018_worcester_md.csv"
    _import(runner, export)
    _import(runner, SA)
    header, row = export.read_text(encoding="utf-8").splitlines()[:2]
    cut = tmp_path / "export.csv"
    cut.write_text(f"{header}\n{row}\n{row[: len(row) // 2]}", encoding="utf-8")
    before = _sites(engine)
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(cut), "--full-refresh"])
    assert result.exit_code != 0
    assert "deactivated 0" in result.output and "full refresh not applied" in result.output
    assert _sites(engine) == before


def test_the_codebook_is_the_union_of_both_directories_and_a_failed_run_writes_none(
    cli_app: Flask, tmp_path: Path
) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    with Session(engine) as session:
        sa_codes = set(
            session.scalars(select(ServiceCode.code).where(ServiceCode.vintage == "nsumhss-2022"))
        )
    assert len(sa_codes) == 225
    _import(runner, MH)
    with Session(engine) as session:
        union = set(
            session.scalars(select(ServiceCode.code).where(ServiceCode.vintage == "nsumhss-2022"))
        )
    assert sa_codes < union  # the MH codes were added, no SA code dropped
    assert "PSY" in union and "DT" in union


def test_a_failed_import_leaves_the_codebook_as_it_was(cli_app: Flask, tmp_path: Path) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    workbook = load_workbook(MH)
    sheet = workbook["Facilities List"]
    sheet.delete_rows(2, sheet.max_row)  # a reference sheet, but no facility: an empty feed
    empty = tmp_path / "National_Directory_MH_Facilities_2022.xlsx"
    workbook.save(empty)
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(empty)])
    assert result.exit_code != 0
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ServiceCode)) == 0


def test_the_same_file_again_is_not_reread_but_its_listings_are_seen_again(
    cli_app: Flask, tmp_path: Path
) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    again = _import(runner, SA)
    assert "not read again" in again and "inserted 0, updated 0, unchanged 9" in again
    with Session(engine) as session:
        runs = session.scalars(select(ImportRun).order_by(col(ImportRun.id))).all()
        seen = set(session.scalars(select(FacilitySource.last_seen)))
    assert runs[-1].input_digest == runs[-2].input_digest != ""
    assert (runs[-1].status, runs[-1].unchanged) == (runs[-2].status, 9)
    assert seen == {date.today()}  # seen today, by the second run too
    # A file with other bytes (one row fewer) is read: the digest is of the content.
    changed = _trimmed_copy(SA, tmp_path / SA.name, "66 East State Road")
    read = _import(runner, changed)
    assert "not read again" not in read and "unchanged 8" in read


def test_a_source_that_lists_a_retired_site_again_brings_only_its_own_services(
    cli_app: Flask, tmp_path: Path
) -> None:
    runner, engine = cli_app.test_cli_runner(), cli_app.extensions["engine"]
    _import(runner, SA)
    without = _trimmed_copy(
        SA, tmp_path / "National_Directory_SA_Facilities_2022.xlsx", "2770 East Van Buren Street"
    )
    _import(runner, without, "--full-refresh")
    assert not _facility(engine, "2770 East Van Buren Street").active
    _import(runner, MH)
    central = _facility(engine, "2770 East Van Buren Street")
    assert central.active and central.facility_types == ",MH,"
    codes = _codes(engine, "2770 East Van Buren Street")
    assert "PSY" in codes and "DT" not in codes  # the retired SA listing's detox is gone
