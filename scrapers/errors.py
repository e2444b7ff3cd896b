"""The errors that fail an import run; each leaves the stored data as it was."""

from __future__ import annotations

from locator.errors import LocatorError


class ImportError_(LocatorError):
    """Base of the errors that fail an import run (named so it does not shadow ImportError)."""


class FeedSchemaError(ImportError_):
    """The feed's shape changed: expected keys or columns are missing."""


class EmptyFeedError(ImportError_):
    """The feed parsed to nothing; an empty national feed is an outage, not a closure."""


class FetchError(ImportError_):
    """The source could not be fetched (network failure, error status, error page)."""


class RefreshRefused(ImportError_):
    """A full refresh would act on doubtful input or retire too much; nothing was changed."""
