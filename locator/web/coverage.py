"""The coverage summary the home page and the API show, kept per app until an import runs."""

from __future__ import annotations

from flask import current_app

from locator.facilities.coverage import CoverageCache


def coverage_cache() -> CoverageCache:
    """Return this app's coverage cache (one per app, shared by its threads)."""
    cache: CoverageCache = current_app.extensions.setdefault("coverage_cache", CoverageCache())
    return cache
