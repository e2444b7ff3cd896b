"""The live FindTreatment.gov import against a local server serving real-shaped v2 pages."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskCliRunner
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, func, select
from sqlmodel import Session, col
from werkzeug import Request, Response

from locator.cli import cli
from locator.models import Facility, FacilitySource, ImportRun
from scrapers.base import EmptyFeedError, FeedSchemaError, FetchError, ImportError_, run_import
from scrapers.facility_writer import FacilityWriter
from scrapers.http import HttpClient
from scrapers.samhsa import SOURCE, parse_pages
from scrapers.samhsa_api import ApiOptions, Sweep, directory_sources, import_live, plan_sweeps
from scrapers.samhsa_files import file_items, open_file
from tests.conftest import make_app
from tests.utils.facilities import store_snapshot
from tests.utils.samhsa import v2_pages, v2_rows

TODAY = date(2026, 11, 30)

PATH = "/locator/exportsAsJson/v2"
UA = "locator-tests/1 (+https://test.invalid/contact)"

Fault = Callable[[Request], Response | None]


class FakeApi:
    """Serves v2 pages by the ``page`` parameter; ``faults[n]`` replaces the n-th answer."""

    def __init__(self, server: HTTPServer, rows: list[dict[str, Any]] | None = None) -> None:
        self.pages = v2_pages(v2_rows() if rows is None else rows)
        self.faults: dict[int, Fault] = {}
        self.requests: list[Request] = []
        server.expect_request(PATH).respond_with_handler(self.handle)
        self.url = server.url_for(PATH)

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        fault = self.faults.get(len(self.requests))
        if fault is not None:
            answer = fault(request)
            if answer is not None:
                return answer
        page = int(request.args.get("page", "1"))
        last = max(self.pages)
        body = self.pages.get(page, {**self.pages[last], "page": page})
        return Response(json.dumps(body), content_type="application/json")


def _config(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "SAMHSA_API_URL": url,
        "SAMHSA_SERVICE_TYPE": "BOTH",
        "SAMHSA_PAGE_SIZE": 10,
        "SAMHSA_REQUEST_INTERVAL_SECONDS": 0.0,
        "SAMHSA_STATES": ["VA"],
        "HTTP_USER_AGENT": UA,
        "HTTP_TIMEOUT_SECONDS": 2.0,
        "HTTP_MAX_RETRIES": 2,
        "REFRESH_MAX_RETIRE_SHARE": 0.2,
        **extra,
    }


def _client(sleeps: list[float] | None = None, *, timeout: float = 2.0, retries: int = 2) -> Any:
    waits = sleeps if sleeps is not None else []
    return HttpClient(
        user_agent=UA,
        timeout=timeout,
        min_interval=0.0,
        max_retries=retries,
        backoff=0.01,
        sleep=waits.append,
    )


def _run(engine: Engine, api: FakeApi, **options: Any) -> Any:
    client = options.pop("client", None) or _client()
    return import_live(engine, _config(api.url), client=client, **options)


def _active(engine: Engine) -> list[Facility]:
    with Session(engine) as session:
        return list(session.scalars(select(Facility).where(col(Facility.active))))


# -- the happy path ---------------------------------------------------------------------------


def test_a_live_sweep_pages_merges_sites_and_a_rerun_changes_nothing(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    api = FakeApi(httpserver)
    first = _run(empty_engine, api)
    # 31 rows on 4 pages (10, 10, 10, 1); the SA and MH rows of one site are one facility.
    assert (first.fetched, first.inserted, first.rejected, first.status) == (31, 24, 0, "ok")
    assert [r.args["page"] for r in api.requests] == ["1", "2", "3", "4"]
    stored = _active(empty_engine)
    region_ten = [f for f in stored if f.street1 == "800 Preston Avenue"]
    assert len(region_ten) == 1 and region_ten[0].facility_types == ",MH,SA,"
    [otp] = [f for f in stored if f.name == "Test OTP row"]
    assert otp.services_known is False and otp.facility_types == ",OTP,"
    assert "SAMHSA FindTreatment.gov API v2" in otp.source_note

    second = _run(empty_engine, api)
    assert (second.inserted, second.updated, second.unchanged, second.deactivated) == (0, 0, 24, 0)


def test_the_query_follows_the_api_traps(empty_engine: Engine, httpserver: HTTPServer) -> None:
    api = FakeApi(httpserver)
    _run(empty_engine, api)
    first = api.requests[0]
    lat, lon = (float(part) for part in first.args["sAddr"].split(","))
    assert 36 < lat < 40 and -84 < lon < -75, "sAddr is latitude first, inside Virginia"
    assert first.args["limitType"] == "2"
    # limitValue is metres: Virginia's farthest ZIP is a few hundred kilometres from its centre.
    assert 300_000 < int(first.args["limitValue"]) < 700_000
    assert first.args["sType"] == "BOTH" and first.args["pageSize"] == "10"
    assert first.headers["User-Agent"] == UA


def test_rows_of_neighbouring_states_are_left_to_their_own_sweep(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = v2_rows()
    rows[0] = {**rows[0], "state": "MD"}
    report = _run(empty_engine, FakeApi(httpserver, rows))
    assert report.fetched == 30
    assert all(f.state == "VA" for f in _active(empty_engine))


def test_a_site_gone_from_the_sweep_becomes_inactive_with_its_last_seen_date(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    _run(empty_engine, FakeApi(httpserver))
    httpserver.clear()
    rows = [r for r in v2_rows() if r["name1"] != "Test OTP row"]
    report = _run(empty_engine, FakeApi(httpserver, rows))
    assert report.deactivated == 1
    with Session(empty_engine) as session:
        gone = session.scalars(select(Facility).where(col(Facility.name) == "Test OTP row")).one()
    assert gone.active is False and gone.last_seen is not None


def test_an_unmapped_service_name_is_kept_and_counted(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = v2_rows()
    rows[0]["services"] = [*rows[0]["services"], {"f1": "New", "f2": "TC", "f3": "Brand new care"}]
    report = _run(empty_engine, FakeApi(httpserver, rows))
    assert report.unknown_names["TC: Brand new care"] == 1
    with Session(empty_engine) as session:
        run = session.get(ImportRun, report.run_id)
        assert run is not None
        assert run.unknown_names["TC: Brand new care"] == 1
    assert run.unknown_services == sum(report.unknown_names.values())
    assert "unknown service names kept raw:" in report.summary()


# -- faults: each leaves the previous data exactly as it was, and the next run succeeds -------


def _html(_request: Request) -> Response:
    return Response("<html><body>Service unavailable</body></html>", content_type="text/html")


def _status(code: int, headers: dict[str, str] | None = None) -> Fault:
    return lambda _request: Response("busy", status=code, headers=headers or {})


def _truncated(request: Request) -> Response:
    return Response('{"page": 1, "totalPages": 4, "rows": [{"name1": "Regi', status=200)


_RELEASE = threading.Event()


def _slow(_request: Request) -> Response:
    _RELEASE.wait(timeout=5)  # held until the client has given up; released by the test
    return Response("{}", content_type="application/json")


def _no_total_pages(_request: Request) -> Response:
    return Response(json.dumps({"page": 1, "rows": []}), content_type="application/json")


def _rows_without_services(request: Request) -> Response:
    page = v2_pages(v2_rows())[int(request.args["page"])]
    for row in page["rows"]:
        row.pop("services")
    return Response(json.dumps(page), content_type="application/json")


def _zero_rows(_request: Request) -> Response:
    body = {"page": 1, "totalPages": 0, "recordCount": 0, "rows": []}
    return Response(json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("call", "fault", "error", "says"),
    [
        (2, _html, FetchError, "HTML page instead of JSON"),
        (2, _truncated, FetchError, "cut short"),
        (3, _no_total_pages, FeedSchemaError, "not a FindTreatment.gov result page"),
        (2, _rows_without_services, FeedSchemaError, "10 of 10 rows lack the keys ['services']"),
        (1, _zero_rows, FeedSchemaError, "found no facility at all"),
    ],
    ids=["html-200", "truncated-json", "missing-keys", "rows-missing-a-key", "zero-rows"],
)
def test_a_broken_answer_fails_the_run_and_keeps_the_data(
    empty_engine: Engine,
    httpserver: HTTPServer,
    call: int,
    fault: Fault,
    error: type[ImportError_],
    says: str,
) -> None:
    api = FakeApi(httpserver)
    _run(empty_engine, api)
    before = store_snapshot(empty_engine)
    api.requests.clear()
    api.faults = {call: fault}
    with pytest.raises(error, match=r".*") as raised:
        _run(empty_engine, api)
    assert says in str(raised.value)
    assert store_snapshot(empty_engine) == before
    with Session(empty_engine) as session:
        run = session.scalars(select(ImportRun).order_by(col(ImportRun.id).desc())).first()
        assert run is not None and run.status == "failed" and says in run.error
    api.faults = {}
    api.requests.clear()
    assert _run(empty_engine, api).status == "ok"


def test_a_server_error_midway_fails_after_retries_and_keeps_the_data(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    api = FakeApi(httpserver)
    _run(empty_engine, api)
    before = store_snapshot(empty_engine)
    api.requests.clear()
    api.faults = {n: _status(500) for n in (2, 3, 4)}  # page 2 and both retries
    with pytest.raises(FetchError, match="HTTP 500"):
        _run(empty_engine, api)
    assert store_snapshot(empty_engine) == before


def test_a_timeout_is_retried_then_fails_cleanly(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    api = FakeApi(httpserver)
    api.faults = {1: _slow}
    _RELEASE.clear()
    try:
        with pytest.raises(FetchError, match="Timeout after 2 tries"):
            _run(empty_engine, api, client=_client(timeout=0.3, retries=1))
    finally:
        _RELEASE.set()  # the server answers the abandoned request and is free again
    assert store_snapshot(empty_engine) == [[], []]


def test_429_and_500_are_retried_honouring_retry_after(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    api = FakeApi(httpserver)
    api.faults = {2: _status(429, {"Retry-After": "7"}), 4: _status(503)}
    sleeps: list[float] = []
    report = _run(empty_engine, api, client=_client(sleeps))
    assert report.status == "ok" and report.inserted == 24
    assert 7.0 in sleeps, "Retry-After: 7 was honoured"
    assert [r.args["page"] for r in api.requests] == ["1", "2", "2", "3", "3", "4"]


def test_one_bad_row_among_good_ones_is_rejected_with_a_reason(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    rows = v2_rows()
    rows[4] = {**rows[4], "latitude": "not a number"}
    report = _run(empty_engine, FakeApi(httpserver, rows))
    assert report.status == "partial" and report.rejected == 1
    assert "latitude/longitude missing" in report.rejects[0].reason
    assert report.inserted >= 22


def _one_row_without_name1(request: Request) -> Response:
    page = v2_pages(v2_rows())[int(request.args["page"])]
    page["rows"][3].pop("name1")
    return Response(json.dumps(page), content_type="application/json")


def test_a_page_with_one_row_lacking_a_key_keeps_its_other_rows(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    api = FakeApi(httpserver)
    whole = _run(empty_engine, api)
    api.requests.clear()
    api.faults = {2: _one_row_without_name1}
    report = _run(empty_engine, api)
    assert (report.status, report.fetched, report.rejected) == ("partial", 31, 1)
    [rejected] = report.rejects
    assert rejected.row == "VA page 2 row 4 (no name)"
    assert rejected.reason == "lacks the keys ['name1']"
    assert report.unchanged == whole.inserted - 1, "every other site is kept as it was"
    with Session(empty_engine) as session:
        run = session.get(ImportRun, report.run_id)
        assert run is not None and run.status == "partial"
        assert run.rejects == [{"row": rejected.row, "reason": rejected.reason}]


def test_the_throttle_spaces_requests() -> None:
    clock = iter([0.0, 0.0, 0.2, 0.2, 2.0, 2.0])
    sleeps: list[float] = []
    client = HttpClient(
        user_agent=UA, min_interval=1.0, sleep=sleeps.append, clock=lambda: next(clock)
    )
    client._throttle()
    client._throttle()
    assert sleeps == [pytest.approx(0.8)]


# -- planning, options, CLI, scheduler ---------------------------------------------------------


def test_every_state_and_territory_gets_a_sweep_that_covers_it() -> None:
    sweeps = {s.state.code: s for s in plan_sweeps()}
    assert {"VA", "AK", "HI", "DC", "PR", "GU", "VI", "AS", "MP"} <= set(sweeps)
    assert sweeps["AK"].radius_m > sweeps["TX"].radius_m > sweeps["DC"].radius_m
    assert isinstance(sweeps["VA"], Sweep)
    with pytest.raises(ValueError, match="'ZZ' is not a US state"):
        plan_sweeps(["ZZ"])


def test_api_options_are_checked() -> None:
    with pytest.raises(ValueError, match="sType"):
        ApiOptions(url="x", service_type="ALL")
    with pytest.raises(ValueError, match="between 1 and 2000"):
        ApiOptions(url="x", page_size=5000)


def _runner(db_url: str, api_url: str) -> FlaskCliRunner:
    app = make_app(
        db_url,
        samhsa_api_url=api_url,
        samhsa_page_size=10,
        samhsa_request_interval_seconds=0.0,
        http_max_retries=0,
    )
    return app.test_cli_runner()


def test_the_cli_sweeps_one_state_and_reports(empty_db_url: str, httpserver: HTTPServer) -> None:
    api = FakeApi(httpserver)
    result = _runner(empty_db_url, api.url).invoke(cli, ["import", "samhsa", "--live", "-s", "VA"])
    assert result.exit_code == 2  # -s is not an option: only --state
    result = _runner(empty_db_url, api.url).invoke(
        cli, ["import", "samhsa", "--live", "--state", "VA"]
    )
    assert result.exit_code == 0, result.output
    assert "samhsa: ok — fetched 31, inserted 24" in result.output


def test_the_cli_explains_bad_choices(empty_db_url: str, httpserver: HTTPServer) -> None:
    runner = _runner(empty_db_url, "http://127.0.0.1:9/none")
    result = runner.invoke(cli, ["import", "samhsa", "--live", "--state", "ZZ"])
    assert result.exit_code == 2 and "'ZZ' is not a US state" in result.output
    result = runner.invoke(cli, ["import", "samhsa", "--state", "VA"])
    assert result.exit_code == 2 and "Choose exactly one" in result.output
    result = runner.invoke(cli, ["import", "samhsa", "--live", "--state", "VA"])
    assert result.exit_code == 1
    assert "Import failed, previous data kept" in result.output


def test_the_weekly_job_is_scheduled_under_its_lock() -> None:
    from scrapers.scheduler import JOBS

    job = {j.name: j for j in JOBS}["samhsa"]
    assert job.setting == "SCHEDULE_SAMHSA" and callable(job.function())


def test_the_scheduled_job_sweeps_the_configured_states(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    from scrapers.scheduler import JOBS, run_job

    api = FakeApi(httpserver)
    job = {j.name: j for j in JOBS}["samhsa"]
    report = run_job(job, empty_engine, {**_config(api.url), "JOB_LOCK_HOURS": 1.0})
    assert report.status == "ok" and report.inserted == 24


def test_the_registry_live_import_sweeps_the_configured_states_and_says_each_count(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    from scrapers.registry import source

    api = FakeApi(httpserver)
    live = source("samhsa").live
    assert live is not None
    said: list[str] = []
    report = live(empty_engine, _config(api.url), said.append)
    assert report.status == "ok" and report.inserted == 24
    assert len(said) == 1 and said[0].startswith("VA: ") and said[0].endswith(" rows")


def test_an_empty_sweep_of_a_territory_is_allowed_but_an_empty_run_is_not(
    empty_engine: Engine, httpserver: HTTPServer
) -> None:
    api = FakeApi(httpserver)
    api.faults = {1: _zero_rows}
    with pytest.raises(EmptyFeedError):
        import_live(empty_engine, _config(api.url, SAMHSA_STATES=["GU"]), client=_client())


# -- the live sweep joins the directory-loaded facilities -------------------------------------


def _load_directory(engine: Engine, tmp_path: Path) -> None:
    from tests.test_samhsa_files import _directory

    found = open_file(_directory(tmp_path))
    writer = FacilityWriter(
        source=found.source, source_note="test directory", family=SOURCE, as_of=found.as_of
    )
    run_import(engine, source=found.source, items=file_items(found), writer=writer, seen_on=TODAY)


def test_a_live_sweep_updates_directory_facilities_instead_of_adding_twins(
    empty_engine: Engine, httpserver: HTTPServer, tmp_path: Path
) -> None:
    _load_directory(empty_engine, tmp_path)
    before = {f.source_key: f for f in _active(empty_engine)}
    assert all(f.location_approximate for f in before.values())  # ZIP centroids
    report = _run(empty_engine, FakeApi(httpserver))
    after = {f.source_key: f for f in _active(empty_engine)}
    # The 23 directory sites gain the sweep's part; only the sweep's OTP row is new.
    assert report.inserted == 24 and report.joined == 23
    assert set(before) < set(after) and len(after) == len(before) + 1
    for key, facility in before.items():
        assert after[key].id == facility.id
        assert not after[key].location_approximate  # the sweep's surveyed point wins
    with Session(empty_engine) as session:
        sources = session.execute(
            select(FacilitySource.source, func.count()).group_by(FacilitySource.source)
        ).all()
    assert dict(sources) == {"samhsa-sa-2025": 23, "samhsa": 24}


def test_a_complete_sweep_retires_the_directory_part_of_sites_it_no_longer_lists(
    empty_engine: Engine, tmp_path: Path
) -> None:
    _load_directory(empty_engine, tmp_path)
    rows = [row for row in v2_rows() if row["street1"] != "800 Preston Avenue"]
    writer = FacilityWriter(
        source=SOURCE,
        source_note="test sweep",
        family=SOURCE,
        scope_states=frozenset({"VA"}),
        retires=directory_sources(empty_engine, "BOTH"),
    )
    assert writer.retires == ("samhsa-sa-2025",)
    report = run_import(
        empty_engine,
        source=SOURCE,
        items=parse_pages(v2_pages(rows).values()),
        writer=writer,
        seen_on=TODAY,
        full_refresh=True,
    )
    assert report.deactivated == 1
    gone = [f for f in _all(empty_engine) if f.street1 == "800 Preston Avenue"]
    assert len(gone) == 1 and not gone[0].active  # kept, with its history
    with Session(empty_engine) as session:
        part = session.scalars(
            select(FacilitySource).where(FacilitySource.facility_id == gone[0].id)
        ).one()
    assert part.source == "samhsa-sa-2025" and not part.active


def test_a_sweep_of_one_kind_of_care_stands_in_only_for_that_directory(
    empty_engine: Engine, tmp_path: Path
) -> None:
    _load_directory(empty_engine, tmp_path)
    assert directory_sources(empty_engine, "SA") == ("samhsa-sa-2025",)
    assert directory_sources(empty_engine, "MH") == ()


def _all(engine: Engine) -> list[Facility]:
    with Session(engine) as session:
        return list(session.scalars(select(Facility)))
