"""Federal Register documents on kratom, mitragynine and 7-OH, proposed as federal actions.

Publisher: the Office of the Federal Register (https://www.federalregister.gov/developers/api/v1);
public domain. Searched by the configured terms on each law check (daily by default).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlmodel import Session

from locator.config import Settings
from locator.models import FederalAction, LawChangeProposal, utcnow
from scrapers.base import FeedSchemaError
from scrapers.http import HttpClient
from scrapers.law_proposals import LawCheckReport, propose, proposed, version

FR_FIELDS = ("document_number", "title", "type", "publication_date", "html_url")
AGENCY_ABBREVIATIONS = {
    "Drug Enforcement Administration": "DEA",
    "Food and Drug Administration": "FDA",
    "Health and Human Services Department": "HHS",
}


def federal_documents(client: HttpClient, settings: Settings) -> Iterator[dict[str, Any]]:
    """Yield every Federal Register document the configured terms find, once each."""
    seen: set[str] = set()
    for term in settings.law_federal_register_terms:
        params = {"conditions[term]": term, "order": "newest", "per_page": 20}
        answer = client.get_json(settings.law_federal_register_url, params)
        if not isinstance(answer, dict) or not isinstance(answer.get("results", []), list):
            raise FeedSchemaError("Federal Register answer has no results list")
        for document in answer.get("results", []):
            if not isinstance(document, dict):
                raise FeedSchemaError(
                    "Federal Register results hold something other than documents"
                )
            missing = [name for name in FR_FIELDS if not document.get(name)]
            if missing:
                raise FeedSchemaError(f"Federal Register document lacks {', '.join(missing)}")
            _check_federal_types(document)
            number = document["document_number"]
            if number not in seen:
                seen.add(number)
                yield document


def _check_federal_types(document: dict[str, Any]) -> None:
    """Refuse a document whose fields are not the documented text and agency list."""
    wrong = [name for name in FR_FIELDS if not isinstance(document[name], str)]
    agencies = document.get("agencies") or []
    if not isinstance(agencies, list) or not all(isinstance(a, dict) for a in agencies):
        wrong.append("agencies")
    if wrong:
        raise FeedSchemaError(f"Federal Register document has odd {', '.join(wrong)}")


def agency_name(agencies: list[dict[str, Any]]) -> str:
    """Return the most specific agency of a Federal Register document, abbreviated if known.

    Documents list the department and its agency (Justice Department, then DEA); the agency
    is the one with a parent.
    """
    named = [a for a in agencies if a and a.get("name")]
    named.sort(key=lambda a: a.get("parent_id") is None)
    if not named:
        return "Federal Register"
    name = str(named[0]["name"])
    return AGENCY_ABBREVIATIONS.get(name, name)[:40]


def record_federal(session: Session, document: dict[str, Any], report: LawCheckReport) -> None:
    """Propose a Federal Register document not yet on file or already proposed."""
    report.checked += 1
    number = str(document["document_number"])
    known = session.get(FederalAction, f"FR-{number}") is not None or proposed(
        session, "federal_register", number
    )
    if known:
        report.unchanged += 1
        return
    action = {
        "key": f"FR-{number}",
        "agency": agency_name(document.get("agencies") or []),
        "action": f"{document['type']}: {document['title']}",
        "date": document["publication_date"],
        "status": "proposed" if document["type"] == "Proposed Rule" else "published",
        "citation": f"FR Doc {number}",
        "url": document["html_url"],
        "summary": document.get("abstract") or "",
    }
    raw = json.dumps(document, sort_keys=True, ensure_ascii=False)
    session.add(version("federal_register", document["html_url"], number, raw, utcnow()))
    proposal = LawChangeProposal(
        source="federal_register",
        url=document["html_url"],
        title=str(document["title"])[:500],
        fingerprint=number,
        summary=f"New Federal Register {document['type']} of {document['publication_date']} "
        f"(FR Doc {number}).",
        diff=str(document.get("abstract") or ""),
        proposed={"federal_action": action},
    )
    propose(session, proposal, report)
