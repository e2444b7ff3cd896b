"""Problem reports: someone says a listing is wrong; a person reviews it later.

Nothing here changes a listing. Reports are refused, not stored, beyond a per-sender and an
overall hourly limit, so a flood cannot bury the real ones or fill the disk.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlmodel import Session, col

from locator.errors import N_, BadQueryError, LocatorError
from locator.models import Facility, Meeting, ProblemReport, utcnow

MAX_TEXT = 2000

# What can be wrong with a listing, as the form offers it.
PROBLEMS: dict[str, str] = {
    "phone": "The phone number is wrong or does not work",
    "closed": "The place has closed or moved",
    "address": "The address or map position is wrong",
    "services": "The services, payment or languages are wrong",
    "schedule": "The day, time or joining details are wrong",
    "other": "Something else",
}

REPORT_STATUSES = ("new", "reviewed", "dismissed")


class TooManyReportsError(LocatorError):
    """Raised when the hourly report limit is reached; carries when to try again."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class ReportLimits:
    per_sender_per_hour: int
    per_hour: int


def sender_hash(address: str, secret: str, day: str) -> str:
    """Hash the sender's address with the app secret and the day: counted, never kept."""
    return hashlib.sha256(f"{secret}|{day}|{address}".encode()).hexdigest()[:32]


def check_report(problem: str, text: str) -> tuple[str, str]:
    """Validate what someone wrote.

    Raises:
        BadQueryError: with a sentence saying what to fix.
    """
    if problem not in PROBLEMS:
        raise BadQueryError(N_("Choose what is wrong from the list."), field="problem")
    cleaned = text.strip()
    if len(cleaned) > MAX_TEXT:
        raise BadQueryError(
            N_("Please keep the description under %(most)d characters."),
            field="text",
            most=MAX_TEXT,
        )
    if problem == "other" and not cleaned:
        raise BadQueryError(N_("Please say in a few words what is wrong."), field="text")
    return problem, cleaned


def store_report(
    *,
    session: Session,
    listing: Facility | Meeting,
    problem: str,
    text: str,
    sender: str,
    limits: ReportLimits,
) -> ProblemReport:
    """Store a report about a facility or meeting, within the hourly limits.

    Raises:
        BadQueryError: when the problem or text is not acceptable.
        TooManyReportsError: when this sender, or everyone together, sent too many this hour.
    """
    problem, text = check_report(problem, text)
    since = utcnow() - timedelta(hours=1)
    recent = (
        select(func.count())
        .select_from(ProblemReport)
        .where(col(ProblemReport.created_at) >= since)
    )
    if (session.scalar(recent.where(col(ProblemReport.sender) == sender)) or 0) >= (
        limits.per_sender_per_hour
    ):
        raise TooManyReportsError(
            "You have sent several reports in the last hour. Thank you — please try again later.",
            retry_after=3600,
        )
    if (session.scalar(recent) or 0) >= limits.per_hour:
        raise TooManyReportsError(
            "We are receiving many reports right now. Please try again in a while.",
            retry_after=600,
        )
    assert listing.id is not None
    report = ProblemReport(
        kind="facility" if isinstance(listing, Facility) else "meeting",
        listing_id=listing.id,
        listing_source=listing.source,
        listing_key=listing.source_key,
        listing_name=listing.name,
        problem=problem,
        text=text,
        sender=sender,
    )
    session.add(report)
    session.commit()
    return report


def recent_reports(*, session: Session, limit: int = 200) -> list[ProblemReport]:
    """Return the newest reports first, for review."""
    query = select(ProblemReport).order_by(col(ProblemReport.id).desc()).limit(limit)
    return list(session.scalars(query))
