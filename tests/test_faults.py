"""Faults keep data: every live importer, every way a source fails, the same promise.

A first run stores the source's rows; then the source fails mid-run (a connection dropped
mid-page, 429 and 5xx until the retries run out, a body cut short, an HTML error page with
status 200, a changed feed shape). After each: every stored row is exactly as before, the
ImportRun says failed with the reason, and the next run, with the source healthy, succeeds.
"""

from __future__ import annotations

import copy
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from openpyxl import Workbook
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.cli import cli
from locator.models import ImportRun
from scrapers.base import EmptyFeedError, FeedSchemaError, FetchError, ImportError_
from scrapers.http import HttpClient
from scrapers.kratom_law import check_sources
from scrapers.meeting_import import import_bmlt_live, import_meeting_guide_live
from scrapers.samhsa_api import import_live
from tests.conftest import FIXTURES, make_app
from tests.utils.faults import FaultServer, fault_server, json_bytes
from tests.utils.laws import TODAY, law_config, section
from tests.utils.laws import load as load_law
from tests.utils.meetings import BMLT, TSML, config, full_dump_rows, load
from tests.utils.samhsa import v2_pages, v2_rows
from tests.utils.store import all_rows


def last_run(engine: Engine, source: str) -> ImportRun:
    with Session(engine) as session:
        run = session.scalars(
            select(ImportRun)
            .where(col(ImportRun.source) == source)
            .order_by(col(ImportRun.id).desc())
        ).first()
        assert run is not None
        session.expunge(run)
        return run


# -- the sources, each served by the fault server -----------------------------------------------


@dataclass
class Source:
    """How to serve, run and break one importer."""

    name: str  # the ImportRun source
    answer: Callable[[str], bytes]
    drifted: Callable[[str], bytes]  # the same answers in a changed shape
    fault_on: str  # the request that fails: a mid-run one where the source has several
    run: Callable[[Engine, FaultServer], str]  # runs an import, returns its status
    # What the failed run raises (None: the run reports failure without raising).
    raises: type[ImportError_] | None
    drift_raises: type[ImportError_] | None
    drift_says: str


def _query(target: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(target).query).items()}


def _samhsa_answer(rows: list[dict[str, Any]]) -> Callable[[str], bytes]:
    pages = v2_pages(rows)

    def answer(target: str) -> bytes:
        page = int(_query(target).get("page", "1"))
        last = max(pages)
        return json_bytes(pages.get(page, {**pages[last], "page": page}))

    return answer


def _samhsa_drifted(target: str) -> bytes:
    rows = [{k: v for k, v in row.items() if k != "services"} for row in v2_rows()]
    return _samhsa_answer(rows)(target)


def _samhsa_run(engine: Engine, server: FaultServer) -> str:
    settings = {
        "SAMHSA_API_URL": server.url("/locator/exportsAsJson/v2"),
        "SAMHSA_SERVICE_TYPE": "BOTH",
        "SAMHSA_PAGE_SIZE": 10,
        "SAMHSA_REQUEST_INTERVAL_SECONDS": 0.0,
        "SAMHSA_STATES": ["VA"],
        "HTTP_USER_AGENT": "locator-tests/1",
        "HTTP_TIMEOUT_SECONDS": 2.0,
        "HTTP_MAX_RETRIES": 1,
        "REFRESH_MAX_RETIRE_SHARE": 0.2,
    }
    client = HttpClient(
        user_agent="locator-tests/1",
        timeout=2.0,
        min_interval=0.0,
        max_retries=1,
        backoff=0.0,
        sleep=lambda _s: None,
    )
    return import_live(engine, settings, client=client).status


def _bmlt_answer(rows: list[dict[str, Any]]) -> Callable[[str], bytes]:
    bodies = {
        "GetFormats": load(BMLT / "formats.json"),
        "GetServiceBodies": load(BMLT / "service-bodies.json"),
        "GetSearchResults": rows,
    }
    return lambda target: json_bytes(bodies[_query(target)["switcher"]])


def _bmlt_drifted(target: str) -> bytes:
    rows = [
        {k: v for k, v in r.items() if k != "start_time"} | {"startTime": r["start_time"]}
        for r in full_dump_rows()
    ]
    return _bmlt_answer(rows)(target)


def _bmlt_run(engine: Engine, server: FaultServer) -> str:
    settings = config(bmlt_servers=[server.url("/main_server/")])
    return import_bmlt_live(engine, settings, notify=lambda _m: None).status


def _guide_run(engine: Engine, server: FaultServer) -> str:
    settings = config(meeting_guide_feeds=[f"AA {server.url('/wp-admin/admin-ajax.php')}"])
    return import_meeting_guide_live(engine, settings, lambda _m: None).status


def _law_answer(revid: int) -> Callable[[str], bytes]:
    def answer(target: str) -> bytes:
        if target.startswith("/api/v1/documents.json"):
            return json_bytes(load_law("federal_register_7oh.json"))
        if _query(target).get("prop") == "sections":
            return json_bytes(load_law("wikipedia_sections.json"))
        return json_bytes(section(revid))

    return answer


def _law_drifted(target: str) -> bytes:
    if target.startswith("/api/v1/documents.json"):
        return json_bytes({"count": 1, "documents": []})
    return json_bytes({"parse": {"title": "Kratom"}})


def _law_run(engine: Engine, server: FaultServer) -> str:
    settings = law_config(_LawServer(server))
    client = HttpClient(user_agent="locator-tests/1", min_interval=0.0, max_retries=0)
    return check_sources(engine, client, settings, today=TODAY).status


class _LawServer:
    """law_config asks its server for url_for(path); the fault server answers to url(path)."""

    def __init__(self, server: FaultServer) -> None:
        self.server = server

    def url_for(self, path: str) -> str:
        return self.server.url(path)


SOURCES = {
    "samhsa": Source(
        name="samhsa",
        answer=_samhsa_answer(v2_rows()),
        drifted=_samhsa_drifted,
        fault_on="page=3",
        run=_samhsa_run,
        raises=FetchError,
        drift_raises=FeedSchemaError,
        drift_says="services",
    ),
    "bmlt": Source(
        name="bmlt",
        answer=_bmlt_answer(full_dump_rows()),
        drifted=_bmlt_drifted,
        fault_on="GetSearchResults",
        run=_bmlt_run,
        # The one server is skipped as a rejected row; with nothing left the run fails.
        raises=EmptyFeedError,
        drift_raises=FeedSchemaError,
        drift_says="start_time",
    ),
    "meeting-guide": Source(
        name="meeting-guide",
        answer=lambda _target: json_bytes(load(TSML)),
        drifted=lambda _target: json_bytes({"meetings": load(TSML)}),
        fault_on="admin-ajax",
        run=_guide_run,
        raises=EmptyFeedError,
        drift_raises=FeedSchemaError,
        drift_says="JSON list",
    ),
    "kratom-law": Source(
        name="kratom-law",
        answer=_law_answer(1290000001),
        drifted=_law_drifted,
        fault_on="",  # every source of the check fails, so the check itself fails
        run=_law_run,
        raises=None,  # each source's failure is reported; the check stores a failed run
        drift_raises=None,
        drift_says="",
    ),
}

# The reason each fault leaves in the failed run.
REASONS = {
    "drop": "ChunkedEncodingError",
    "truncated": "cut short",
    "429": "HTTP 429",
    "500": "HTTP 500",
    "502": "HTTP 502",
    "503": "HTTP 503",
    "html": "HTML page",
}


@pytest.fixture(params=list(SOURCES))
def source(request: pytest.FixtureRequest) -> Source:
    return SOURCES[request.param]


@pytest.fixture
def served(source: Source) -> Iterator[FaultServer]:
    with fault_server(source.answer) as server:
        yield server


def _source_id(source: Source) -> str:
    return source.name


def _run_expecting_failure(
    engine: Engine, source: Source, server: FaultServer, raises: type[ImportError_] | None
) -> None:
    if raises is None:
        assert source.run(engine, server) == "failed"
    else:
        with pytest.raises(raises):
            source.run(engine, server)


def _failure_text(run: ImportRun) -> str:
    reasons = " ".join(str(r.get("reason", "")) for r in run.rejects or [])
    return f"{run.error} {reasons}"


def _changed_between_runs(source: Source) -> Callable[[str], bytes]:
    """The source's answers with one row changed, so a successful next run has work to do."""
    if source.name == "samhsa":
        rows = copy.deepcopy(v2_rows())
        rows[0]["phone"] = "434-555-0100"
        return _samhsa_answer(rows)
    if source.name == "bmlt":
        rows = full_dump_rows()
        rows[0]["meeting_name"] = "Test meeting renamed"
        return _bmlt_answer(rows)
    if source.name == "meeting-guide":
        feed = load(TSML)
        feed[0]["name"] = "Test meeting renamed"
        return lambda _target: json_bytes(feed)
    return _law_answer(1290000002)


@pytest.mark.parametrize("fault", list(REASONS))
def test_a_failing_source_keeps_the_data_says_why_and_the_next_run_succeeds(
    engine: Engine, source: Source, served: FaultServer, fault: str
) -> None:
    assert source.run(engine, served) in ("ok", "partial")
    before = all_rows(engine)
    served.fault, served.fault_on = fault, source.fault_on
    served.answer = _changed_between_runs(source)  # what the failed run must not write

    _run_expecting_failure(engine, source, served, source.raises)

    assert all_rows(engine) == before
    run = last_run(engine, source.name)
    assert run.status == "failed" and run.finished_at is not None
    assert REASONS[fault] in _failure_text(run), _failure_text(run)
    served.fault = ""
    assert source.run(engine, served) in ("ok", "partial")
    assert last_run(engine, source.name).status in ("ok", "partial")
    assert all_rows(engine) != before, "the healthy run stored the changed row"


def test_a_changed_feed_shape_keeps_the_data_and_says_what_changed(
    engine: Engine, source: Source, served: FaultServer
) -> None:
    source.run(engine, served)
    before = all_rows(engine)
    served.answer = source.drifted
    if source.drift_raises is None:
        assert source.run(engine, served) == "failed"
    else:
        with pytest.raises(source.drift_raises, match=source.drift_says):
            source.run(engine, served)
    assert all_rows(engine) == before
    run = last_run(engine, source.name)
    assert run.status == "failed" and source.drift_says in _failure_text(run)
    served.answer = source.answer
    assert source.run(engine, served) in ("ok", "partial")


def test_a_connection_dropped_once_is_retried_and_the_run_completes(
    empty_engine: Engine,
) -> None:
    source = SOURCES["samhsa"]
    with fault_server(source.answer) as server:
        server.fault, server.fault_on, server.fault_times = "drop", "page=2", 1
        assert source.run(empty_engine, server) == "ok"
    assert len([t for t in server.requests if "page=2" in t]) == 2
    assert last_run(empty_engine, "samhsa").inserted == 24


# -- saved files an operator loads: cut short, corrupt, in another encoding, empty -------------

EXPORT_CSV = FIXTURES / "feeds" / "samhsa" / "locatorExcel_row_2018_worcester_md.csv"


def _csv_cut_mid_row(path: Path) -> None:
    """The recorded row, then a second site whose row the cut ends in (its service flags)."""
    text = EXPORT_CSV.read_text(encoding="utf-8")
    header, row = text.splitlines()[:2]
    second = row.replace("Pocomoke Health Center", "Test site cut short")
    path.write_text(f"{header}\n{row}\n{second[: len(second) - 60]}", encoding="utf-8")


def _csv_in_latin1_with_a_bad_byte(path: Path) -> None:
    path.write_bytes(EXPORT_CSV.read_bytes().replace(b"Worcester", b"Worc\xe9ster\xff"))


def _xlsx_cut_short(path: Path) -> None:
    workbook = Workbook()
    sheet = workbook.active
    with EXPORT_CSV.open(encoding="utf-8", newline="") as handle:
        for values in csv.reader(handle):
            sheet.append(values)
    whole = path.with_name("whole.xlsx")
    workbook.save(whole)
    data = whole.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _json_cut_short(path: Path) -> None:
    text = json.dumps(v2_pages(v2_rows())[1])
    path.write_text(text[: len(text) // 2], encoding="utf-8")


def _json_of_another_shape(path: Path) -> None:
    path.write_text(json.dumps({"results": v2_rows()}), encoding="utf-8")


def _empty(path: Path) -> None:
    path.write_bytes(b"")


BAD_FILES = {
    "csv-cut-mid-row.csv": (_csv_cut_mid_row, "cut short"),
    "csv-bad-bytes.csv": (_csv_in_latin1_with_a_bad_byte, "UTF-8"),
    "xlsx-cut-short.xlsx": (_xlsx_cut_short, "not a readable"),
    "json-cut-short.json": (_json_cut_short, "not JSON"),
    "json-other-shape.json": (_json_of_another_shape, "not a FindTreatment.gov result page"),
    "empty.csv": (_empty, "lacks the columns"),
    "empty.json": (_empty, "not JSON"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_saved_file_is_refused_with_a_sentence_and_keeps_the_data(
    db_url: str, engine: Engine, tmp_path: Path, name: str
) -> None:
    runner = make_app(db_url).test_cli_runner()
    assert runner.invoke(cli, ["import", "samhsa", "--file", str(EXPORT_CSV)]).exit_code == 0
    before = all_rows(engine)
    make, says = BAD_FILES[name]
    bad = tmp_path / name
    make(bad)
    result = runner.invoke(cli, ["import", "samhsa", "--file", str(bad)])
    if name == "csv-cut-mid-row.csv":
        # The last row lost its tail: it is rejected with a reason, the others stay as they were.
        assert result.exit_code == 0, result.output
        assert "rejected 1" in result.output and "the file is cut short" in result.output
    else:
        assert result.exit_code == 1, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.output
        assert "Import failed, previous data kept" in result.output and says in result.output
    assert all_rows(engine) == before
    assert runner.invoke(cli, ["import", "samhsa", "--file", str(EXPORT_CSV)]).exit_code == 0
    assert last_run(engine, "samhsa").status == "ok"
