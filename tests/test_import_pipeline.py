"""run_import: merge, upsert, unchanged re-runs, deactivation, and failures that keep data."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import Engine, select
from sqlmodel import Session

from locator.models import Facility, FacilityService, ImportRun
from scrapers import samhsa
from scrapers.base import EmptyFeedError, FeedSchemaError, Rejected, content_hash, run_import
from scrapers.facilities import FacilityRecord, clean_phone, clean_website
from scrapers.facility_writer import FacilityWriter
from tests.conftest import FIXTURES
from tests.utils.facilities import TEST_SOURCE, add_sites, site, store_snapshot

SAMPLE = FIXTURES / "feeds" / "samhsa" / "listing_2019_charlottesville.json"


def _page() -> dict:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))


def _import(engine: Engine, pages: list, **options: object):
    writer = FacilityWriter(source="samhsa", source_note="test import of the 2019 sample")
    return run_import(
        engine,
        source="samhsa",
        items=samhsa.parse_pages(pages),
        writer=writer,
        seen_on=date(2026, 11, 1),
        **options,
    )


def test_first_import_inserts_and_a_rerun_changes_nothing(empty_engine: Engine) -> None:
    first = _import(empty_engine, [_page()])
    assert (first.fetched, first.inserted, first.updated) == (30, 23, 0)
    second = _import(empty_engine, [_page()])
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 23)


def test_a_changed_row_is_updated(empty_engine: Engine) -> None:
    _import(empty_engine, [_page()])
    page = _page()
    page["rows"][0]["phone"] = "434-555-0100"
    report = _import(empty_engine, [page])
    assert (report.updated, report.unchanged) == (1, 22)
    with Session(empty_engine) as session:
        assert (
            session.scalar(select(Facility.phone).where(Facility.name2 == "Mohr Center"))
            == "434-555-0100"
        )


def test_a_site_missing_from_a_full_refresh_becomes_inactive_not_deleted(
    empty_engine: Engine,
) -> None:
    _import(empty_engine, [_page()])
    page = _page()
    page["rows"] = [r for r in page["rows"] if r["name2"] != "Mohr Center"]
    report = _import(empty_engine, [page], full_refresh=True)
    assert report.deactivated == 1
    with Session(empty_engine) as session:
        mohr = session.scalars(select(Facility).where(Facility.name2 == "Mohr Center")).one()
    assert not mohr.active and mohr.last_seen == date(2026, 11, 1)
    back = _import(empty_engine, [_page()], full_refresh=True)
    assert (back.updated, back.deactivated) == (1, 0)


def test_one_bad_row_is_rejected_with_a_reason_and_the_rest_imported(empty_engine: Engine) -> None:
    page = _page()
    page["rows"][0]["state"] = "XX"
    page["rows"][1]["latitude"] = "not a number"
    page["rows"][2]["name1"] = "   "
    report = _import(empty_engine, [page])
    assert report.rejected == 3 and report.status == "partial"
    reasons = " ".join(r.reason for r in report.rejects)
    assert "unknown state" in reasons and "latitude" in reasons and "no facility name" in reasons
    with Session(empty_engine) as session:
        run = session.get(ImportRun, report.run_id)
    assert run is not None and run.rejected == 3 and len(run.rejects) == 3


def _failing_after(pages: list, error: Exception) -> Iterator:
    yield from samhsa.parse_pages(pages)
    raise error


def _fail_midway(engine: Engine) -> None:
    """Run an import whose connection drops after its rows were read (it must raise)."""
    with pytest.raises(ConnectionError):
        run_import(
            engine,
            source="samhsa",
            items=_failing_after([_page()], ConnectionError("reset")),
            writer=FacilityWriter(source="samhsa", source_note="test"),
            seen_on=date(2026, 11, 2),
        )


@pytest.mark.parametrize(
    "breakage",
    [
        lambda page: [row.pop("latitude") for row in page["rows"]],  # a key vanished
        lambda page: page.pop("rows"),  # the envelope changed
        # A list became text (one such row alone is rejected: see test_samhsa_files.py).
        lambda page: [row.update(services="Residential") for row in page["rows"]],
    ],
    ids=["key-gone-from-every-row", "envelope", "services-text-in-every-row"],
)
def test_a_changed_feed_shape_fails_and_keeps_the_previous_data(
    empty_engine: Engine, breakage
) -> None:
    _import(empty_engine, [_page()])
    before = store_snapshot(empty_engine)
    page = _page()
    page["rows"][0]["phone"] = "434-555-0100"  # a change that must not land
    breakage(page)
    with pytest.raises(FeedSchemaError):
        _import(empty_engine, [page], full_refresh=True)
    assert store_snapshot(empty_engine) == before
    with Session(empty_engine) as session:
        last = session.scalars(select(ImportRun).order_by(ImportRun.id.desc())).first()
    assert last is not None and last.status == "failed" and "shape" in last.error


def test_an_error_page_served_as_data_is_a_schema_error(empty_engine: Engine) -> None:
    with pytest.raises(FeedSchemaError):
        _import(empty_engine, ["<html><body>Service Unavailable</body></html>"])


def test_an_empty_feed_fails_and_keeps_the_previous_data(empty_engine: Engine) -> None:
    _import(empty_engine, [_page()])
    before = store_snapshot(empty_engine)
    empty = {**_page(), "rows": []}
    with pytest.raises(EmptyFeedError):
        _import(empty_engine, [empty], full_refresh=True)
    assert store_snapshot(empty_engine) == before


def test_a_failure_midway_keeps_data_and_the_next_run_succeeds(empty_engine: Engine) -> None:
    _import(empty_engine, [_page()])
    before = store_snapshot(empty_engine)
    page = _page()
    page["rows"][0]["phone"] = "434-555-0100"
    writer = FacilityWriter(source="samhsa", source_note="test")
    with pytest.raises(ConnectionError):
        run_import(
            empty_engine,
            source="samhsa",
            items=_failing_after([page], ConnectionError("reset")),
            writer=writer,
            seen_on=date(2026, 11, 2),
            full_refresh=True,
        )
    assert store_snapshot(empty_engine) == before
    report = _import(empty_engine, [page])
    assert report.status == "ok" and report.updated == 1


def test_services_null_means_unknown_not_none(empty_engine: Engine) -> None:
    page = _page()
    page["rows"] = [{**page["rows"][7], "services": None, "typeFacility": "OTP"}]
    _import(empty_engine, [page])
    with Session(empty_engine) as session:
        facility = session.scalars(select(Facility)).one()
    assert facility.services_known is False and facility.facility_types == ",OTP,"


def test_unknown_service_names_are_kept_raw(empty_engine: Engine) -> None:
    page = _page()
    page["rows"] = [page["rows"][0]]
    page["rows"][0]["services"].append(
        {"f1": "New", "f2": "NEW", "f3": "A service SAMHSA added\u00a0"}
    )
    _import(empty_engine, [page])
    with Session(empty_engine) as session:
        facility = session.scalars(select(Facility)).one()
    assert {"category": "NEW", "name": "A service SAMHSA added"} in facility.unmapped_services


def test_rows_without_a_stable_id_get_the_same_key_every_time() -> None:
    first = [r for r in samhsa.parse_pages([_page()]) if isinstance(r, FacilityRecord)]
    page = _page()
    for row in page["rows"]:
        row.pop("frid")
        row["_irow"] += 100
    second = [r for r in samhsa.parse_pages([page]) if isinstance(r, FacilityRecord)]
    assert [r.key for r in first] == [r.key for r in second]


def test_placeholder_phones_and_bare_websites_are_dropped() -> None:
    assert clean_phone("(999) 999-9999") == ""
    assert clean_phone("434-979-8871") == "434-979-8871"
    assert clean_website("http://") == ""
    assert clean_website("javascript:alert(1)") == ""
    assert clean_website("www.regionten.org") == "http://www.regionten.org"


def test_rejected_rows_never_abort_the_others(empty_engine: Engine) -> None:
    writer = FacilityWriter(source=TEST_SOURCE, source_note="test")
    items = [Rejected("row 1", "bad"), site("ok", 38.0, -78.0)]
    report = run_import(
        empty_engine, source=TEST_SOURCE, items=items, writer=writer, seen_on=date(2026, 1, 1)
    )
    assert (report.inserted, report.rejected) == (1, 1)


def test_merged_duplicates_in_one_run_count_once(empty_engine: Engine) -> None:
    add_sites(
        empty_engine,
        [
            site("same", 38.0, -78.0, services={"OP"}, types=("SA",)),
            site("same", 38.0, -78.0, services={"TELE"}, types=("MH",)),
        ],
    )
    with Session(empty_engine) as session:
        facility = session.scalars(select(Facility)).one()
        codes = set(session.scalars(select(FacilityService.code)))
    assert facility.facility_types == ",MH,SA," and codes == {"OP", "TELE"}


@pytest.mark.parametrize(
    "fingerprint",
    [
        {"name": "Bench", "lat": 39.2233819, "types": ["MH", "SA"], "updated": date(2026, 1, 1)},
        {"name": "Clínica Añasco", "city": "Añasco", "zip": "00610", "services": None},
        {"name": "x", "approximate": False, "count": 3, "unmapped": [["column", "zz"]]},
    ],
)
def test_content_hash_matches_the_json_hashes_stored_before(fingerprint: dict[str, object]) -> None:
    """Hashes in existing stores came from json.dumps: a faster serialiser must not change them,
    or the next import would count every row as updated."""
    text = json.dumps(fingerprint, sort_keys=True, default=str, separators=(",", ":"))
    assert content_hash(fingerprint) == hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_postgres_import_prepares_no_statement_and_gives_the_setting_back(
    empty_engine: Engine,
) -> None:
    """On PostgreSQL run_import plans each statement for its own values by preparing none
    (a generic plan made on the empty table scans it as it grows), not by forcing custom
    plans server-wide: the foreign-key check of every service row keeps its cached plan.
    psycopg's setting is put back, also when the import fails."""
    if empty_engine.dialect.name != "postgresql":
        pytest.skip("a psycopg connection setting")
    inside: list[tuple[object, str]] = []

    def prepare(session: Session) -> None:
        driver = session.connection().connection.driver_connection
        mode = session.connection().exec_driver_sql("SHOW plan_cache_mode").scalar_one()
        inside.append((driver.prepare_threshold, mode))

    def threshold() -> object:
        with empty_engine.connect() as connection:
            return connection.connection.driver_connection.prepare_threshold

    configured = threshold()
    assert configured is not None
    _import(empty_engine, [_page()], prepare=prepare)
    assert inside == [(None, "auto")]
    assert threshold() == configured
    _fail_midway(empty_engine)
    assert threshold() == configured


def test_an_import_gives_its_sqlite_connection_back_memory_mapped_as_it_was(
    empty_engine: Engine,
) -> None:
    """run_import reads SQLite unmapped (its peak memory) and puts the setting back, also
    when the import fails, so the searches that use the connection next keep their mmap."""
    if empty_engine.dialect.name != "sqlite":
        pytest.skip("a SQLite connection setting")

    def mapped() -> int:
        with empty_engine.connect() as connection:
            return int(connection.exec_driver_sql("PRAGMA mmap_size").scalar_one())

    configured = mapped()
    assert configured > 0
    _import(empty_engine, [_page()])
    assert mapped() == configured
    _fail_midway(empty_engine)
    assert mapped() == configured
