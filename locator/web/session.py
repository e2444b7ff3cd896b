"""The app's settings and engine, and one database session per request, closed at its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy import Engine
from sqlmodel import Session

from locator.config import Settings, settings_of
from locator.db import make_engine, reading_engine

View = TypeVar("View", bound=Callable[..., object])


def init_app(app: Flask) -> None:
    """Type the app's settings once, create its engine and close the request's session."""
    engine = make_engine(settings_of(app).database_url)
    app.extensions["engine"] = engine
    app.extensions["reading_engine"] = reading_engine(engine)
    app.teardown_appcontext(_close_session)


def current_settings() -> Settings:
    """Return the current app's typed settings (built once per app)."""
    return settings_of(current_app)


def get_engine() -> Engine:
    """Return the current app's engine."""
    engine: Engine = current_app.extensions["engine"]
    return engine


def reads_only(view: View) -> View:
    """Mark a view that only reads (besides single-statement cache writes).

    Its session runs each statement on its own (see ``locator.db.reading_engine``): no BEGIN
    and no ROLLBACK round trips, two of a PostgreSQL search's five (bench/load.sh).
    """
    view.reads_only = True  # type: ignore[attr-defined]
    return view


def get_session() -> Session:
    """Return the session of the current request, opening it on first use."""
    if "db_session" not in g:
        g.db_session = Session(_request_engine(), expire_on_commit=False)
    session: Session = g.db_session
    return session


def _request_engine() -> Engine:
    view = current_app.view_functions.get(request.endpoint or "") if request else None
    key = "reading_engine" if getattr(view, "reads_only", False) else "engine"
    engine: Engine = current_app.extensions[key]
    return engine


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
