"""Full-refresh guards: retire only on clean input, and never more than a set share unasked."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlmodel import Session

from scrapers.errors import RefreshRefused

if TYPE_CHECKING:  # base imports this module; the types are only annotations here
    from scrapers.base import ImportReport, Writer


def retire(
    session: Session,
    writer: Writer[Any],
    active_before: set[int],
    seen: set[int],
    share: float,
    batch: int,
) -> int:
    """Deactivate the rows a full refresh no longer lists; return how many."""
    also_seen = getattr(writer, "also_seen", None)
    if also_seen is not None:
        seen = seen | also_seen(session, seen)
    missing = sorted(active_before - seen)
    share_allowed(len(missing), len(active_before), share)
    for start in range(0, len(missing), batch):
        writer.deactivate(session, missing[start : start + batch])
    return len(missing)


def input_is_clean(report: ImportReport) -> bool:
    """Say whether a full refresh may retire rows: never when the input had parse problems.

    A row that could not be read is not a site the source stopped listing, so nothing is
    retired; what could be read is still added and updated, and the report says why.
    """
    if not report.rejected:
        return True
    first = report.rejects[0]
    report.refresh_skipped = (
        f"full refresh not applied: {report.rejected} rows could not be read (first: "
        f"{first.row}: {first.reason}), so nothing was retired. Fix the input and run the "
        "refresh again."
    )
    return False


def share_allowed(missing: int, active: int, share: float) -> None:
    """Refuse a full refresh that would retire more than ``share`` of the active rows."""
    if not active or missing / active <= share:
        return
    raise RefreshRefused(
        f"This full refresh would retire {missing} of the {active} active listings "
        f"({missing / active:.0%}), more than the {share:.0%} allowed (refresh_max_retire_share). "
        "Nothing was changed. If the source really stopped listing them, run it again with "
        "--force."
    )
