"""File imports: the site export (CSV/XLSX), the National Directory workbook, format drift."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.cli import cli
from locator.models import Facility, FacilityService, ImportRun, ServiceCode
from locator.paths import DATA_DIR
from locator.places.gazetteer import embedded_gazetteer
from scrapers.base import FeedSchemaError, Rejected, run_import
from scrapers.codebook import store_reference
from scrapers.facilities import FacilityRecord
from scrapers.facility_writer import FacilityWriter
from scrapers.samhsa import parse_pages, parse_row
from scrapers.samhsa_files import file_items, open_file
from tests.conftest import FIXTURES, make_app
from tests.utils.facilities import store_snapshot
from tests.utils.samhsa import v2_pages, v2_rows, write_pages

EXPORT_CSV = FIXTURES / "feeds" / "samhsa" / "locatorExcel_row_2018_worcester_md.csv"
DIRECTORY_COLUMNS = [
    "name1",
    "name2",
    "street1",
    "street2",
    "city",
    "state",
    "zip",
    "phone",
    "intake1",
    "intake2",
    "intake1a",
    "intake2a",
    "service_code_info",
]


def _import(engine: Engine, path: Path, **options: object):
    found = open_file(path)
    writer = FacilityWriter(
        source=found.source, source_note=f"test import of {path.name}", family="samhsa"
    )
    return run_import(
        engine,
        source=found.source,
        items=file_items(found),
        writer=writer,
        seen_on=date(2026, 11, 1),
        prepare=lambda session: store_reference(session, found.vintage, found.reference),
        **options,
    )


def _export_row() -> tuple[list[str], list[str]]:
    with EXPORT_CSV.open(encoding="utf-8", newline="") as handle:
        header, row = list(csv.reader(handle))
    return header, row


def _flagged_codes() -> set[str]:
    header, row = _export_row()
    flags = dict(zip((h.strip().upper() for h in header), row, strict=True))
    return {code for code, value in list(flags.items())[18:] if value == "1"}


def _stored(engine: Engine) -> list[tuple[Facility, set[str]]]:
    with Session(engine) as session:
        out = []
        for facility in session.scalars(select(Facility).order_by(col(Facility.name))):
            codes = set(
                session.scalars(
                    select(col(FacilityService.code)).where(
                        col(FacilityService.facility_id) == facility.id
                    )
                )
            )
            out.append((facility, codes))
        return out


def test_the_real_2018_export_row_is_read_by_header_name(empty_engine: Engine) -> None:
    report = _import(empty_engine, EXPORT_CSV)
    assert (report.fetched, report.inserted, report.rejected) == (1, 1, 0)
    [(facility, codes)] = _stored(empty_engine)
    assert facility.name == "Worcester County Health Department"  # header was "   name1"
    assert (facility.city, facility.state, facility.zip) == ("Pocomoke City", "MD", "21851")
    assert facility.phone == "410-957-2005" and facility.website == "http://www.worcesterhealth.org"
    assert (facility.latitude, facility.longitude) == (38.0720144, -75.566952)
    assert facility.location_approximate is False
    assert facility.source_updated == date(2018, 1, 23)
    unknown = {entry["name"].upper() for entry in facility.unmapped_services}
    assert codes | unknown == _flagged_codes(), "every flagged column is a code or kept raw"
    assert "SA" in codes and "OP" in codes


def test_the_same_export_as_xlsx_gives_the_same_facility(
    empty_engine: Engine, tmp_path: Path
) -> None:
    header, row = _export_row()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Facilities with service detail"
    sheet.append(header)
    sheet.append([int(v) if v == "1" else (v or None) for v in row])
    path = tmp_path / "Locator.xlsx"
    workbook.save(path)

    assert open_file(path).kind == "export"
    _import(empty_engine, path)
    from_xlsx = [(f.source_key, f.name, f.zip, codes) for f, codes in _stored(empty_engine)]
    second = _import(empty_engine, EXPORT_CSV)
    assert (second.inserted, second.unchanged) == (0, 1), "CSV and XLSX read identically"
    assert from_xlsx == [(f.source_key, f.name, f.zip, c) for f, c in _stored(empty_engine)]


def test_an_export_whose_columns_drifted_fails_and_keeps_the_data(
    engine: Engine, tmp_path: Path
) -> None:
    header, row = _export_row()
    drifted = tmp_path / "export.csv"
    with drifted.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["lat" if h == "latitude" else h for h in header])
        writer.writerow(row)
    before = store_snapshot(engine)
    with pytest.raises(FeedSchemaError, match=r"lacks the columns \['latitude'\]"):
        _import(engine, drifted)
    assert store_snapshot(engine) == before


# -- saved API answers: one odd row is rejected, a key missing from every row fails the run ----


def _without(rows: list[dict[str, Any]], key: str, *indexes: int) -> list[dict[str, Any]]:
    return [
        {k: v for k, v in row.items() if k != key} if n in indexes else row
        for n, row in enumerate(rows)
    ]


def test_a_saved_answer_with_one_row_lacking_name1_imports_the_rest(
    empty_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "answer.json"
    write_pages(path, v2_rows())
    whole = _import(empty_engine, path)
    rows = v2_rows()
    rows.insert(5, {k: v for k, v in rows[5].items() if k != "name1"})  # a copy, less name1
    write_pages(path, rows)
    report = _import(empty_engine, path)
    assert (report.status, report.fetched, report.rejected) == ("partial", 32, 1)
    assert report.rejects == [Rejected("page 1 row 6 (no name)", "lacks the keys ['name1']")]
    assert (report.inserted, report.updated, report.unchanged) == (0, 0, whole.inserted)
    with Session(empty_engine) as session:
        run = session.get(ImportRun, report.run_id)
        assert run is not None and run.status == "partial"
        assert run.rejects == [{"row": report.rejects[0].row, "reason": report.rejects[0].reason}]


def test_a_saved_answer_whose_rows_all_lack_name1_fails_and_changes_nothing(
    engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "answer.json"
    rows = v2_rows()
    write_pages(path, _without(rows, "name1", *range(len(rows))))
    before = store_snapshot(engine)
    with pytest.raises(FeedSchemaError, match=r"31 of 31 rows lack the keys \['name1'\]"):
        _import(engine, path)
    assert store_snapshot(engine) == before
    with Session(engine) as session:
        run = session.scalars(select(ImportRun).order_by(col(ImportRun.id).desc())).first()
        assert run is not None and run.status == "failed" and "changed shape" in run.error


@pytest.mark.parametrize(
    ("size", "flawed", "changed_shape"),
    [(10, 1, False), (10, 8, False), (10, 9, True), (3, 2, False), (3, 3, True), (1, 1, True)],
    ids=["one-of-ten", "most-not-nearly-all", "nine-of-ten", "two-of-three", "all-three", "one"],
)
def test_a_key_missing_from_nearly_every_row_of_a_page_is_a_changed_shape(
    size: int, flawed: int, changed_shape: bool
) -> None:
    rows = _without(v2_rows()[:size], "city", *range(flawed))
    page = v2_pages(rows, page_size=size)[1]
    if changed_shape:
        with pytest.raises(FeedSchemaError, match=rf"{flawed} of {size} rows lack the keys"):
            list(parse_pages([page]))
        return
    items = list(parse_pages([page]))
    rejected = [item for item in items if isinstance(item, Rejected)]
    assert len(items) == size and len(rejected) == flawed
    assert all(r.reason == "lacks the keys ['city']" for r in rejected)


def test_one_row_with_malformed_services_is_rejected_but_a_page_of_them_fails() -> None:
    rows = v2_rows()[:10]
    odd = [{**rows[0], "services": "SA;MH"}, {**rows[1], "services": [{"f1": "x"}]}]
    page = v2_pages([*odd, *rows[2:]])[1]
    page["rows"].append(7)
    items = list(parse_pages([page]))
    reasons = [item.reason for item in items if isinstance(item, Rejected)]
    assert reasons == [
        "'services' is not a list of f2/f3 entries",
        "'services' is not a list of f2/f3 entries",
        "the row is not an object (got 7)",
    ]
    assert sum(isinstance(item, FacilityRecord) for item in items) == 8

    broken = [{**row, "services": {"f2": "TC"}} for row in rows]
    with pytest.raises(FeedSchemaError, match="'services' that are not a list"):
        list(parse_pages([v2_pages(broken)[1]]))


def _reference_rows() -> list[list[str]]:
    rows: dict[str, list[str]] = {}
    for name in ("service_codes_2018.csv", "service_codes_nsumhss.csv"):
        with (DATA_DIR / "samhsa" / name).open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                rows.setdefault(row["service_code"], list(row.values()))
    return list(rows.values())


def _directory(tmp_path: Path, extra_rows: list[list[object]] = ()) -> Path:  # type: ignore[assignment]
    """A National Directory workbook holding the recorded 2019 rows (codes from services)."""
    workbook = Workbook()
    facilities = workbook.active
    assert facilities is not None
    facilities.title = "Facilities List"
    facilities.append(["National Directory of Substance Use Treatment Facilities"])  # title row
    facilities.append(DIRECTORY_COLUMNS)
    for index, row in enumerate(v2_rows()[:30]):
        record = parse_row(row, where=str(index))
        codes = sorted(getattr(record, "services", None) or ())
        facilities.append(
            [
                row["name1"],
                row["name2"],
                row["street1"],
                row["street2"],
                row["city"],
                row["state"],
                int(row["zip"]),  # spreadsheets store ZIPs as numbers
                row["phone"],
                row["intake1"],
                None,
                None,
                None,
                " ".join(f"{code}*" if i % 3 == 0 else code for i, code in enumerate(codes)),
            ]
        )
    for extra in extra_rows:
        facilities.append(extra)
    reference = workbook.create_sheet("Service Code Reference")
    reference.append(
        ["category_code", "category_name", "service_code", "service_name", "service_description"]
    )
    for values in _reference_rows():
        reference.append(values)
    path = tmp_path / "2025_SU_Facilities_for_All_City_All.xlsx"
    workbook.save(path)
    return path


def test_a_national_directory_places_facilities_at_their_zip_centroid(
    empty_engine: Engine, tmp_path: Path
) -> None:
    unknown = ["Test new-code row", "", "1 Test Street", None, "Charlottesville", "VA", "22902"]
    unknown += ["434-000-0000", None, None, None, None, "SA ZZNEW* OP"]
    nowhere = ["Test no-ZIP row", "", "1 Test Street", None, "Nowhere", "VA", "00000"]
    nowhere += ["", None, None, None, None, "SA"]
    path = _directory(tmp_path, [unknown, nowhere])
    found = open_file(path)
    assert (found.kind, found.vintage) == ("directory", "nsumhss-2025")

    report = _import(empty_engine, path)
    assert report.rejected == 1 and "ZIP code not in the gazetteer" in report.rejects[0].reason
    assert report.inserted == 24  # 23 merged sites of the 30 rows, plus the new-code row
    assert report.unknown_names == {"code: ZZNEW": 1}
    stored = {f.name + f.street1: (f, codes) for f, codes in _stored(empty_engine)}
    mohr, mohr_codes = stored["Region Ten Community Services Board1014 East Market Street"]
    centroid = embedded_gazetteer().zip("22902")
    assert centroid is not None
    assert (mohr.latitude, mohr.longitude) == (centroid.point.lat, centroid.point.lon)
    assert mohr.location_approximate is True and mohr.zip == "22902"
    expected = parse_row(v2_rows()[0], where="0")
    assert mohr_codes == set(getattr(expected, "services", ()))
    new_code, new_codes = stored["Test new-code row1 Test Street"]
    assert new_codes == {"SA", "OP"}
    assert new_code.unmapped_services == [{"category": "code", "name": "ZZNEW"}]
    with Session(empty_engine) as session:
        assert session.get(ServiceCode, ("nsumhss-2025", "TELE")) is not None
        run = session.get(ImportRun, report.run_id)
        assert run is not None and run.unknown_names == {"code: ZZNEW": 1}

    again = _import(empty_engine, path)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 24)


def test_the_cli_tells_what_it_reads_and_refuses_unknown_files(
    empty_db_url: str, tmp_path: Path
) -> None:
    app = make_app(empty_db_url)
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(EXPORT_CSV)])
    assert result.exit_code == 0, result.output
    assert "a FindTreatment.gov site export" in result.output
    assert "samhsa: ok — fetched 1, inserted 1" in result.output

    result = runner.invoke(cli, ["import", "samhsa", "--file", str(_directory(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "stored as nsumhss-2025" in result.output

    odd = tmp_path / "list.txt"
    odd.write_text("hello", encoding="utf-8")
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(odd)])
    assert result.exit_code == 1 and "expected a .json, .csv or .xlsx" in result.output
