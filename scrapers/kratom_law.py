"""Watch kratom-law sources for change and record LawChangeProposal rows for a person to review.

Sources (no API key needed):
- Wikipedia, through the MediaWiki Action API (https://www.mediawiki.org/wiki/API:Parse): the
  configured section of the configured article (default: the "United States" part of
  "Kratom"), pinned by revision id. Text CC BY-SA 4.0; used only as a cross-check signal.
- The Federal Register API (https://www.federalregister.gov/developers/api/v1), searched for
  kratom, mitragynine and 7-hydroxymitragynine; public domain. A document not yet on file is
  proposed as a federal action.
- Official pages (legislatures, agencies, governors), checked by SHA-256 of the body: the
  configured list, plus the official sources of the reviewed rows when enabled.
- Temporary bans whose expiry date has passed or is near become review items too.

Cadence: daily by default (``schedule_laws``). Nothing here changes a published status: a
change becomes a proposal, and ``locator laws review`` applies or rejects it. The first look
at a page records a baseline; only later differences are proposed. Every distinct version
fetched (section wikitext, page text, Federal Register document JSON) is kept with its
retrieval time in law_source_version. One source failing is reported and the others run.
"""

from __future__ import annotations

import difflib
import hashlib
import logging
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from locator.config import Settings, settings_of
from locator.models import (
    ImportRun,
    LawChangeProposal,
    LawSourceCheck,
    StateLaw,
    utcnow,
)
from locator.places.law_filter import LawStatus
from scrapers.base import FeedSchemaError, ImportError_
from scrapers.federal_register import federal_documents as federal_documents
from scrapers.federal_register import record_federal
from scrapers.http import HttpClient, client_from_config
from scrapers.law_proposals import SOURCE as SOURCE
from scrapers.law_proposals import LawCheckReport as LawCheckReport
from scrapers.law_proposals import Snapshot, propose, proposed, version

log = logging.getLogger(__name__)

MAX_DIFF_LINES = 400
WIKIPEDIA_CAVEAT = (
    " Wikipedia is a cross-check signal, not an authority: confirm the change in an official "
    "source before accepting it."
)
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S | re.I)


def section_index(sections: Any, wanted: str) -> str:
    """Return the index of the first section whose heading contains ``wanted``.

    Raises:
        FeedSchemaError: the answer has no section list, or no such heading.
    """
    try:
        listed = sections["parse"]["sections"]
    except (KeyError, TypeError, IndexError) as exc:
        raise FeedSchemaError("MediaWiki parse answer has no parse.sections") from exc
    if not isinstance(listed, list):
        raise FeedSchemaError("MediaWiki parse.sections is not a list")
    for section in listed:
        if not isinstance(section, dict):
            raise FeedSchemaError("MediaWiki parse.sections holds something other than sections")
        if wanted.lower() in str(section.get("line", "")).lower():
            if section.get("index") in (None, ""):
                raise FeedSchemaError(f"The section {wanted!r} has no index")
            return str(section["index"])
    raise FeedSchemaError(f"No section heading contains {wanted!r}")


def fetch_wikipedia(client: HttpClient, settings: Settings) -> Snapshot:
    """Fetch the watched Wikipedia section's wikitext with its revision id."""
    api, page = settings.law_wikipedia_api_url, settings.law_wikipedia_page
    wanted = settings.law_wikipedia_section
    base = {"action": "parse", "page": page, "redirects": 1, "format": "json", "formatversion": 2}
    index = section_index(client.get_json(api, {**base, "prop": "sections"}), wanted)
    answer = client.get_json(api, {**base, "section": index, "prop": "wikitext|revid"})
    try:
        parsed = answer["parse"]
        revid, wikitext = str(parsed["revid"]), str(parsed["wikitext"])
    except (KeyError, TypeError, IndexError) as exc:
        raise FeedSchemaError("MediaWiki parse answer has no revid or wikitext") from exc
    url, title = f"{api}?page={page}#{wanted}", f"Wikipedia: {page} — {wanted}"
    return Snapshot("wikipedia", url, title, revid, wikitext)


def page_text(body: str) -> str:
    """Return a page's visible text, one non-empty line per block, for a readable diff."""
    text = _TAGS.sub("\n", body)
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def fetch_page(client: HttpClient, state: str, url: str) -> Snapshot:
    """Fetch an official page and fingerprint its visible text.

    Hashing the text rather than the raw body keeps rotating tokens, scripts and markup
    tweaks from being reported as a change of the law.
    """
    text = page_text(client.get_text(url))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    title = f"Official page ({state or 'federal'})"
    return Snapshot("official_page", url, title, digest, text, state)


def watched_pages(session: Session, settings: Settings) -> list[tuple[str, str]]:
    """Return (state, url) of every official page to watch: configured, then from the rows."""
    pages: dict[str, str] = {}
    for entry in settings.law_official_pages:
        state, _, url = entry.strip().partition(" ")
        if url.strip():
            pages.setdefault(url.strip(), state.upper())
    if settings.law_watch_row_sources:
        for law in session.scalars(select(StateLaw)):
            for source in law.sources:
                if source.get("official"):
                    pages.setdefault(source["url"], law.state)
    return [(state, url) for url, state in pages.items()]


def diff_text(old: str, new: str, old_name: str, new_name: str) -> str:
    """Return a unified diff of two texts, cut to MAX_DIFF_LINES lines."""
    lines = list(
        difflib.unified_diff(
            old.splitlines(), new.splitlines(), old_name, new_name, lineterm="", n=2
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"… {len(lines) - MAX_DIFF_LINES} more lines"]
    return "\n".join(lines)


def record_snapshot(session: Session, snap: Snapshot, report: LawCheckReport) -> None:
    """Compare a fetched source with the last one seen; propose a change when it differs."""
    report.checked += 1
    stored = session.scalars(
        select(LawSourceCheck).where(
            col(LawSourceCheck.source) == snap.source, col(LawSourceCheck.url) == snap.url
        )
    ).first()
    now = utcnow()
    if stored is None or stored.content != snap.content:
        session.add(version(snap.source, snap.url, snap.fingerprint, snap.content, now))
    if stored is None:
        baseline = LawSourceCheck(
            source=snap.source,
            url=snap.url,
            state=snap.state,
            fingerprint=snap.fingerprint,
            content=snap.content,
        )
        session.add(baseline)
        report.baselines += 1
        return
    stored.checked_at, stored.error = now, ""
    if stored.content == snap.content:
        stored.fingerprint = snap.fingerprint  # a new revision that left the section alone
        report.unchanged += 1
        return
    proposal = LawChangeProposal(
        state=snap.state,
        source=snap.source,
        url=snap.url,
        title=snap.title,
        fingerprint=snap.fingerprint,
        previous_fingerprint=stored.fingerprint,
        summary=f"{snap.title} changed ({stored.fingerprint[:12]} → {snap.fingerprint[:12]})."
        + (WIKIPEDIA_CAVEAT if snap.source == "wikipedia" else ""),
        diff=diff_text(stored.content, snap.content, stored.fingerprint, snap.fingerprint),
    )
    stored.fingerprint, stored.content, stored.changed_at = snap.fingerprint, snap.content, now
    propose(session, proposal, report)


def flag_expiries(session: Session, today: date, warn_days: int, report: LawCheckReport) -> None:
    """Raise a review item for each temporary ban past or near its expiry date."""
    soon = today + timedelta(days=warn_days)
    for law in session.scalars(
        select(StateLaw).where(col(StateLaw.status) == LawStatus.TEMPORARY_BAN.value)
    ):
        if law.expires_on is None or law.expires_on > soon:
            continue
        key = f"expiry:{law.state}:{law.expires_on.isoformat()}"
        if proposed(session, "expiry", key):
            continue
        when = "expired on" if law.expires_on < today else "expires on"
        proposal = LawChangeProposal(
            state=law.state,
            source="expiry",
            title=f"{law.state}: temporary ban {when} {law.expires_on.isoformat()}",
            fingerprint=key,
            summary=f"The temporary ban ({law.law_name}) {when} {law.expires_on.isoformat()}. "
            "Check whether it was renewed, replaced by a statute or ended, then accept with "
            "the new values or reject.",
        )
        propose(session, proposal, report)


def check_sources(
    engine: Engine,
    client: HttpClient,
    config: Settings | Mapping[str, Any],
    *,
    today: date | None = None,
) -> LawCheckReport:
    """Check every watched source once and store proposals; returns what was seen.

    A source that fails (network, error status, changed shape) is reported in the run's
    errors and the others still run; the run is stored as an ImportRun (ok, partial, failed).
    """
    settings = settings_of(config)
    report = LawCheckReport()
    started = utcnow()
    with Session(engine) as session:
        try:
            record_snapshot(session, fetch_wikipedia(client, settings), report)
        except ImportError_ as exc:
            _failed(report, "wikipedia", exc)
        try:
            for document in federal_documents(client, settings):
                record_federal(session, document, report)
        except ImportError_ as exc:
            _failed(report, "federal register", exc)
        for state, url in watched_pages(session, settings):
            try:
                record_snapshot(session, fetch_page(client, state, url), report)
            except ImportError_ as exc:
                _failed(report, f"official page ({state or 'federal'})", exc)
        flag_expiries(session, today or date.today(), settings.law_expiry_warning_days, report)
        session.add(_import_run(report, started))
        session.commit()
    return report


def _failed(report: LawCheckReport, name: str, exc: Exception) -> None:
    log.warning("kratom-law: %s: %s", name, exc)
    report.errors.append(f"{name}: {exc}")


def _import_run(report: LawCheckReport, started: datetime) -> ImportRun:
    return ImportRun(
        source=SOURCE,
        started_at=started,
        finished_at=utcnow(),
        status=report.status,
        fetched=report.checked,
        inserted=len(report.proposals),
        unchanged=report.unchanged,
        rejected=len(report.errors),
        rejects=[{"row": e.split(":", 1)[0], "reason": e} for e in report.errors],
        error="; ".join(report.errors),
    )


def scheduled_laws(engine: Engine, config: Settings | Mapping[str, Any]) -> LawCheckReport:
    """Scheduler job: look for kratom-law changes and queue them for review."""
    settings = settings_of(config)
    client = client_from_config(settings, min_interval=settings.law_request_interval_seconds)
    report = check_sources(engine, client, settings)
    log.info("%s", report.summary())
    return report
