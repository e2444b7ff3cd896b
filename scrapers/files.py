"""Reading the files an operator hands to `locator import ... --file`: text, JSON, encodings.

Files saved by spreadsheets and Windows editors often start with a UTF-8 byte-order mark, and
some are saved in a legacy encoding (Latin-1, Windows-1252). The first is read as if it were
not there; the second is refused with a sentence saying how to save the file, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapers.base import FeedSchemaError

log = logging.getLogger(__name__)

# "utf-8-sig" reads UTF-8 with or without a leading byte-order mark.
TEXT_ENCODING = "utf-8-sig"


@dataclass(frozen=True, slots=True)
class FileOptions:
    """What a source's file import gets besides the engine and the path.

    ``values`` holds the options of the source's own command by name (``server``, ``vintage``,
    ``full_refresh`` ...); a source reads the ones it knows and ignores the rest.
    """

    config: Mapping[str, Any]
    values: Mapping[str, Any] = field(default_factory=dict)
    notify: Callable[[str], None] = log.info
    progress: Callable[[int], None] | None = None


@contextmanager
def utf8_errors(path: Path) -> Iterator[None]:
    """Turn a decoding failure into a sentence that says how to save the file.

    Raises:
        FeedSchemaError: the file's bytes are not UTF-8 text.
    """
    try:
        yield
    except UnicodeDecodeError as exc:
        how = "as UTF-8" if path.suffix.lower() == ".json" else 'as "CSV UTF-8"'
        raise FeedSchemaError(
            f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}); "
            f"save it {how} and try again."
        ) from exc


def read_json(path: Path) -> Any:
    """Read a saved JSON answer (UTF-8, with or without a byte-order mark).

    Raises:
        FeedSchemaError: the file is not UTF-8 text, or not JSON.
    """
    with utf8_errors(path), path.open(encoding=TEXT_ENCODING) as handle:
        try:
            return json.load(handle)
        except json.JSONDecodeError as exc:
            raise FeedSchemaError(f"{path.name} is not JSON: {exc}") from exc
