"""Kratom-law change detection against locally served sources, and the review workflow."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Flask
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator import create_app
from locator.cli import cli
from locator.models import FederalAction, ImportRun, LawChangeProposal, LawHistory, StateLaw
from scrapers.kratom_law import LawCheckReport, check_sources
from scrapers.law_snapshot import REVIEW_SOURCE
from scrapers.scheduler import JOBS, build_scheduler
from tests.utils.laws import (
    TODAY,
    get_law,
    law_config,
    load,
    quick_client,
    section,
    serve,
    set_law,
)

CHANGED = (
    "=== United States ===\nAs of August 2026, kratom is banned statewide in Alabama, Arkansas, "
    "Connecticut, Indiana, Kansas, Louisiana, Tennessee, Vermont and Wisconsin.\n"
    "Massachusetts placed kratom in Schedule I by emergency order from 28 August 2026."
)


def proposals(engine: Engine, source: str | None = None) -> list[LawChangeProposal]:
    """Return the detector's proposals (the shipped research reviews left out)."""
    with Session(engine) as session:
        query = select(LawChangeProposal).order_by(col(LawChangeProposal.id))
        if source:
            query = query.where(col(LawChangeProposal.source) == source)
        else:
            query = query.where(col(LawChangeProposal.source) != REVIEW_SOURCE)
        return list(session.scalars(query))


def detector_history(session: Session) -> list[LawHistory]:
    """Return the history rows not written by the shipped research reviews."""
    shipped = select(col(LawChangeProposal.id)).where(
        col(LawChangeProposal.source) == REVIEW_SOURCE
    )
    query = select(LawHistory).where(col(LawHistory.proposal_id).not_in(shipped))
    return list(session.scalars(query))


def run(engine: Engine, server: HTTPServer, **overrides: object) -> LawCheckReport:
    return check_sources(engine, quick_client(), law_config(server, **overrides), today=TODAY)


def test_first_look_records_a_baseline_and_proposes_nothing_for_wikipedia(
    engine: Engine, httpserver: HTTPServer
) -> None:
    serve(httpserver, section(1290000001), federal={"count": 0, "results": []})
    report = run(engine, httpserver)
    assert report.errors == []
    assert report.baselines == 1
    assert proposals(engine, "wikipedia") == []


def test_a_changed_wikipedia_section_becomes_a_proposal_with_its_revision_and_diff(
    engine: Engine, httpserver: HTTPServer
) -> None:
    serve(httpserver, section(1290000001), federal={"count": 0, "results": []})
    run(engine, httpserver)
    serve(httpserver, section(1290000777, CHANGED), federal={"count": 0, "results": []})
    report = run(engine, httpserver)
    [found] = proposals(engine, "wikipedia")
    assert report.proposals == [found.id]
    assert (found.previous_fingerprint, found.fingerprint) == ("1290000001", "1290000777")
    assert "+Massachusetts placed kratom in Schedule I" in found.diff
    assert "-North Dakota has a temporary emergency ban" in found.diff
    assert found.status == "pending"
    assert get_law(engine, "MA").verified_on == date(2026, 12, 2), "nothing applied unreviewed"


def test_a_new_revision_that_leaves_the_section_alone_is_not_a_change(
    engine: Engine, httpserver: HTTPServer
) -> None:
    serve(httpserver, section(1290000001), federal={"count": 0, "results": []})
    run(engine, httpserver)
    serve(httpserver, section(1290000999), federal={"count": 0, "results": []})
    report = run(engine, httpserver)
    assert report.unchanged == 1
    assert proposals(engine) == []


def test_a_new_federal_register_document_is_proposed_once(
    engine: Engine, httpserver: HTTPServer
) -> None:
    serve(httpserver, section(1290000001))
    first = run(engine, httpserver)
    [found] = proposals(engine, "federal_register")
    assert found.fingerprint == "2016-24659", "2026-13580 and 2016-20803 are already on file"
    assert found.proposed["federal_action"]["key"] == "FR-2016-24659"
    assert found.proposed["federal_action"]["date"] == "2016-10-13"
    assert found.proposed["federal_action"]["agency"] == "DEA", "the agency, not its department"
    assert found.proposed["federal_action"]["status"] == "proposed"
    assert first.checked == 4  # the section and three documents
    run(engine, httpserver)
    assert len(proposals(engine, "federal_register")) == 1
    query = httpserver.log[-1][0].args
    assert query["conditions[term]"] == "7-hydroxymitragynine"
    assert query["order"] == "newest"


def test_a_federal_register_answer_missing_fields_is_an_error_not_a_crash(
    engine: Engine, httpserver: HTTPServer
) -> None:
    broken = load("federal_register_7oh.json")
    del broken["results"][1]["document_number"]
    serve(httpserver, section(1290000001), federal=broken)
    report = run(engine, httpserver)
    assert any("lacks document_number" in e for e in report.errors)
    assert report.status == "partial"


def test_an_official_page_is_checked_by_hash_and_an_erroring_page_is_reported(
    engine: Engine, httpserver: HTTPServer
) -> None:
    pages = {
        "/nd/kratom": ("<html><body><h1>Executive order</h1><p>Kratom ban.</p></body></html>", 200),
        "/broken": ("Internal error", 500),
    }
    official = [f"ND {httpserver.url_for('/nd/kratom')}", f"MA {httpserver.url_for('/broken')}"]
    serve(httpserver, section(1290000001), {"count": 0, "results": []}, pages)
    first = run(engine, httpserver, law_official_pages=official)
    assert first.errors == [
        f"official page (MA): {httpserver.url_for('/broken')} answered HTTP 500"
    ]
    assert first.status == "partial"
    pages["/nd/kratom"] = (
        "<html><body><h1>Executive order</h1><p>Kratom ban extended.</p></body></html>",
        200,
    )
    serve(httpserver, section(1290000001), {"count": 0, "results": []}, pages)
    run(engine, httpserver, law_official_pages=official)
    [found] = proposals(engine, "official_page")
    assert found.state == "ND"
    assert "+Kratom ban extended." in found.diff and "-Kratom ban." in found.diff
    assert len(found.fingerprint) == 64
    with Session(engine) as session:
        runs = list(session.scalars(select(ImportRun).where(col(ImportRun.source) == "kratom-law")))
    assert [r.status for r in runs] == ["partial", "partial"]
    assert "answered HTTP 500" in runs[0].error


def test_every_source_failing_is_a_failed_run(engine: Engine, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/w/api.php").respond_with_data("oops", status=503)
    httpserver.expect_request("/api/v1/documents.json").respond_with_data("<html>", status=200)
    report = run(engine, httpserver)
    assert report.status == "failed"
    assert len(report.errors) == 2
    assert "instead of JSON" in report.errors[1]


def test_a_temporary_ban_past_its_expiry_is_flagged_once(
    engine: Engine, httpserver: HTTPServer
) -> None:
    set_law(engine, "MA", expires_on=date(2026, 11, 1))
    serve(httpserver, section(1290000001), {"count": 0, "results": []})
    run(engine, httpserver)
    run(engine, httpserver)
    [found] = proposals(engine, "expiry")
    assert found.state == "MA"
    assert found.title == "MA: temporary ban expired on 2026-11-01"


def test_review_lists_shows_and_accepts_with_new_values_keeping_history(
    engine: Engine, db_url: str, httpserver: HTTPServer
) -> None:
    set_law(engine, "MA", expires_on=date(2026, 11, 1))
    serve(httpserver, section(1290000001), {"count": 0, "results": []})
    run(engine, httpserver)
    [found] = proposals(engine, "expiry")
    app = create_app({"DATABASE_URL": db_url})
    runner = app.test_cli_runner()
    listed = runner.invoke(cli, ["laws", "review"])
    assert f"#{found.id} [pending]" in listed.output and "expiry MA" in listed.output
    shown = runner.invoke(cli, ["laws", "review", "--show", str(found.id)])
    assert "Check whether it was renewed" in shown.output
    accepted = runner.invoke(
        cli,
        ["laws", "review", "--accept", str(found.id), "--set", "expires_on=2027-08-27",
         "--note", "Renewed by DPH", "--reviewed-on", "2026-11-23"],
    )  # fmt: skip
    assert accepted.exit_code == 0, accepted.output
    assert "MA verified on 2026-11-23" in accepted.output
    law = get_law(engine, "MA")
    assert (law.expires_on, law.verified_on) == (date(2027, 8, 27), date(2026, 11, 23))
    with Session(engine) as session:
        [history] = detector_history(session)
        assert history.before["expires_on"] == "2026-11-01"
        assert history.after["expires_on"] == "2027-08-27"
        assert history.after["verified_on"] == "2026-11-23"
        assert (history.proposal_id, history.note) == (found.id, "Renewed by DPH")
        assert session.get(LawChangeProposal, found.id).status == "accepted"
    again = runner.invoke(cli, ["laws", "review", "--accept", str(found.id)])
    assert again.exit_code != 0 and "already accepted" in again.output
    page = app.test_client().get("/laws/MA").get_data(as_text=True)
    assert "expires 2026-11-01 → 2027-08-27" in page and "Renewed by DPH" in page
    app.extensions["engine"].dispose()


def test_review_reject_leaves_the_row_alone(
    engine: Engine, db_url: str, httpserver: HTTPServer
) -> None:
    serve(httpserver, section(1290000001), {"count": 0, "results": []})
    run(engine, httpserver)
    serve(httpserver, section(1290000002, CHANGED), {"count": 0, "results": []})
    run(engine, httpserver)
    [found] = proposals(engine, "wikipedia")
    before = get_law(engine, "MA")
    app = create_app({"DATABASE_URL": db_url})
    runner = app.test_cli_runner()
    result = runner.invoke(cli, ["laws", "review", "--reject", str(found.id), "--note", "Lead"])
    assert result.exit_code == 0, result.output
    assert get_law(engine, "MA") == before
    bad = runner.invoke(cli, ["laws", "review", "--accept", "999"])
    assert "There is no law change proposal 999." in bad.output
    app.extensions["engine"].dispose()


def test_accepting_a_federal_document_puts_it_on_every_state_page(
    engine: Engine, db_url: str, httpserver: HTTPServer
) -> None:
    serve(httpserver, section(1290000001))
    run(engine, httpserver)
    [found] = proposals(engine, "federal_register")
    app = create_app({"DATABASE_URL": db_url})
    result = app.test_cli_runner().invoke(cli, ["laws", "review", "--accept", str(found.id)])
    assert result.exit_code == 0, result.output
    with Session(engine) as session:
        action = session.get(FederalAction, "FR-2016-24659")
        assert action is not None and action.acted_on == date(2016, 10, 13)
        assert detector_history(session) == [], "no state row touched"
    federal = app.test_client().get("/api/v1/laws/TX").get_json()["federal"]
    assert "FR Doc 2016-24659" in {a["citation"] for a in federal}
    app.extensions["engine"].dispose()


def test_review_refuses_a_bad_value_with_a_sentence(engine: Engine, db_url: str) -> None:
    with Session(engine) as session:
        proposal = LawChangeProposal(state="TX", source="official_page", summary="x")
        session.add(proposal)
        session.commit()
        pid = proposal.id
    app = create_app({"DATABASE_URL": db_url})
    runner = app.test_cli_runner()
    bad = runner.invoke(cli, ["laws", "review", "--accept", str(pid), "--set", "status=legal"])
    assert bad.exit_code != 0 and "status must be one of banned" in bad.output
    with Session(engine) as session:
        law = session.get(StateLaw, "TX")
        assert law is not None and law.status == "regulated_kcpa"
    app.extensions["engine"].dispose()


def test_the_laws_job_is_scheduled_daily_by_default() -> None:
    spec = next(job for job in JOBS if job.name == "laws")
    assert spec.setting == "SCHEDULE_LAWS"
    app: Flask = create_app({"DATABASE_URL": "sqlite://"})
    from apscheduler.schedulers.background import BackgroundScheduler

    built = build_scheduler(
        app.extensions["engine"], app.config, scheduler=BackgroundScheduler(timezone="UTC")
    )
    job = built.get_job("laws")
    assert job is not None and "day_of_week='*'" in str(job.trigger)
    assert spec.function().__name__ == "scheduled_laws"


def test_laws_check_command_runs_under_the_job_lock(
    engine: Engine, db_url: str, httpserver: HTTPServer
) -> None:
    serve(httpserver, section(1290000001))
    settings = {
        key: value
        for key, value in law_config(httpserver).items()
        if key.startswith(("LAW_", "HTTP_"))
    }
    app = create_app({"DATABASE_URL": db_url, **settings})
    result = app.test_cli_runner().invoke(cli, ["laws", "check"])
    assert result.exit_code == 0, result.output
    assert "kratom-law: ok — checked 4" in result.output
    assert "proposals 1" in result.output
    from scrapers.locks import job_lock

    with job_lock(engine, "laws"):
        busy = app.test_cli_runner().invoke(cli, ["laws", "check"])
    assert busy.exit_code != 0 and "already running" in busy.output
    app.extensions["engine"].dispose()


def test_the_scheduled_job_checks_the_sources(engine: Engine, httpserver: HTTPServer) -> None:
    from scrapers.kratom_law import scheduled_laws

    serve(httpserver, section(1290000001), {"count": 0, "results": []})
    report = scheduled_laws(engine, law_config(httpserver))
    assert (report.status, report.baselines) == ("ok", 1)


def test_every_distinct_version_fetched_is_kept_with_its_time(
    engine: Engine, httpserver: HTTPServer
) -> None:
    from locator.models import LawSourceVersion

    serve(httpserver, section(1290000001))
    run(engine, httpserver)
    serve(httpserver, section(1290000002))  # new revision, same section text
    run(engine, httpserver)
    serve(httpserver, section(1290000003, CHANGED))
    run(engine, httpserver)
    with Session(engine) as session:
        versions = list(
            session.scalars(select(LawSourceVersion).order_by(col(LawSourceVersion.id)))
        )
    wiki = [v for v in versions if v.source == "wikipedia"]
    assert [v.fingerprint for v in wiki] == ["1290000001", "1290000003"]
    assert wiki[1].content == CHANGED and wiki[0].fetched_at <= wiki[1].fetched_at
    [document] = [v for v in versions if v.source == "federal_register"]
    assert (
        document.fingerprint == "2016-24659"
        and '"document_number": "2016-24659"' in document.content
    )


def test_a_final_order_accepted_as_in_effect_changes_the_federal_overlay(
    engine: Engine, db_url: str, httpserver: HTTPServer
) -> None:
    order = load("federal_register_7oh.json")
    order["results"] = [
        {
            **order["results"][0],
            "type": "Rule",
            "document_number": "2026-99999",
            "title": "Test fixture: temporary scheduling order for 7-OH above a threshold",
            "publication_date": (date.today() - timedelta(days=1)).isoformat(),
            "html_url": "https://www.federalregister.gov/documents/test-fixture-order",
        }
    ]
    serve(httpserver, section(1290000001), order)
    run(engine, httpserver)
    [found] = proposals(engine, "federal_register")
    assert found.proposed["federal_action"]["status"] == "published"
    app = create_app({"DATABASE_URL": db_url})
    runner = app.test_cli_runner()
    wrong = runner.invoke(
        cli, ["laws", "review", "--accept", str(found.id), "--federal-status", "maybe"]
    )
    assert wrong.exit_code != 0 and "federal status must be one of" in wrong.output
    result = runner.invoke(
        cli, ["laws", "review", "--accept", str(found.id), "--federal-status", "in_effect"]
    )
    assert result.exit_code == 0, result.output
    page = app.test_client().get("/laws/OH").get_data(as_text=True)
    assert "Federal 7-OH scheduling:</strong> In effect: Rule: Test fixture" in page
    app.extensions["engine"].dispose()
