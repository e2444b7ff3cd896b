"""One blueprint per area of the site; ``register`` puts them all on an app."""

from __future__ import annotations

from flask import Flask

from locator.views import (
    admin,
    admin_laws,
    api,
    api_exports,
    calls,
    exports,
    facilities,
    guide,
    health,
    laws,
    laws_api,
    meetings,
    meetings_api,
    referrals,
    reports,
    search,
)


def register(app: Flask) -> None:
    """Register every blueprint on ``app`` (called by create_app)."""
    for module in (
        search,
        facilities,
        api,
        meetings,
        meetings_api,
        laws,
        laws_api,
        admin,
        admin_laws,
        calls,
        guide,
        reports,
        health,
        exports,
        api_exports,
        referrals,
    ):
        app.register_blueprint(module.bp)
