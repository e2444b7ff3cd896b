"""What the kratom-law change detector writes: its report, the versions it fetched, and the
proposals a person reviews (``locator laws review``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from locator.models import LawChangeProposal, LawSourceVersion

log = logging.getLogger(__name__)

SOURCE = "kratom-law"


@dataclass
class LawCheckReport:
    """What one run of the change detector saw."""

    checked: int = 0
    unchanged: int = 0
    baselines: int = 0
    proposals: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if not self.errors:
            return "ok"
        return "partial" if self.checked else "failed"

    def summary(self) -> str:
        text = (
            f"{SOURCE}: {self.status} — checked {self.checked}, unchanged {self.unchanged}, "
            f"new baselines {self.baselines}, proposals {len(self.proposals)}"
        )
        return text + "".join(f"\n  error: {e}" for e in self.errors)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One fetched source: what it is, its fingerprint and its comparable text."""

    source: str
    url: str
    title: str
    fingerprint: str
    content: str
    state: str = ""


def version(
    source: str, url: str, fingerprint: str, content: str, when: datetime
) -> LawSourceVersion:
    return LawSourceVersion(
        source=source, url=url, fingerprint=fingerprint, content=content, fetched_at=when
    )


def proposed(session: Session, source: str, fingerprint: str) -> bool:
    found = session.scalars(
        select(col(LawChangeProposal.id)).where(
            col(LawChangeProposal.source) == source,
            col(LawChangeProposal.fingerprint) == fingerprint,
        )
    ).first()
    return found is not None


def propose(session: Session, proposal: LawChangeProposal, report: LawCheckReport) -> None:
    session.add(proposal)
    session.flush()
    assert proposal.id is not None
    report.proposals.append(proposal.id)
    log.info("kratom-law: proposal %s: %s", proposal.id, proposal.summary)
