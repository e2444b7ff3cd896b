"""The export formats: their media types and file-name endings, chosen by key or ending."""

from __future__ import annotations

from dataclasses import dataclass

from locator.errors import N_, BadQueryError


@dataclass(frozen=True, slots=True)
class Format:
    """One export format: its media type and file-name ending."""

    key: str
    media_type: str
    suffix: str


FORMATS: dict[str, Format] = {
    f.key: f
    for f in (
        Format("csv", "text/csv; charset=utf-8", "csv"),
        Format("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        Format("pdf", "application/pdf", "pdf"),
        Format("hsds-json", "application/json", "hsds.json"),
        Format("hsds-zip", "application/zip", "hsds.zip"),
    )
}
BY_SUFFIX = {f.suffix: f for f in FORMATS.values()}


def choose_format(key: str | None, *, by_suffix: bool = False) -> Format:
    """Return the format asked for, or raise a BadQueryError listing the formats."""
    found = (BY_SUFFIX if by_suffix else FORMATS).get((key or "").strip().lower())
    if found is None:
        names = ", ".join(BY_SUFFIX if by_suffix else FORMATS)
        raise BadQueryError(N_("Choose an export format: %(names)s."), field="format", names=names)
    return found
