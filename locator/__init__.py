"""The treatment-resource locator: a Flask app over a store of facilities, meetings and laws."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from locator.config import load_config, settings_of, split_test_config
from locator.paths import STATIC_DIR, TEMPLATES_DIR
from locator.web import session


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: configuration, database engine, geocoder, templates and blueprints.

    Nothing runs at import time and no scheduler starts here (each web worker would run
    every job); the scheduler is its own process, ``locator scheduler``.
    """
    app = Flask(
        __name__,
        template_folder=str(TEMPLATES_DIR),
        static_folder=str(STATIC_DIR),
        instance_relative_config=True,
    )
    ours, flask_own = split_test_config(test_config or {})
    app.config.update(load_config(ours))
    app.config.update(flask_own)
    session.init_app(app)

    # Imported here, not at the top: `import locator` (the scrapers, the CLI, the migrations)
    # must not load the geocoder clients, the web layer and every blueprint.
    from locator import views
    from locator.places.geocoder import Geocoder, online_lookup
    from locator.web import app as web
    from locator.web import security

    settings = settings_of(app)
    app.extensions["geocoder"] = Geocoder(
        online=online_lookup(settings), provider=settings.geocoder
    )

    web.init_app(app)
    views.register(app)
    # After the views: the rate limits are set per blueprint.
    app.after_request(security.security_headers)
    security.init_app(app)
    return app
