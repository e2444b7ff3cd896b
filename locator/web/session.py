"""The app's settings and engine, and one database session per request, closed at its end."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlmodel import Session

from locator.config import Settings, settings_of
from locator.db import make_engine


def init_app(app: Flask) -> None:
    """Type the app's settings once, create its engine and close the request's session."""
    app.extensions["engine"] = make_engine(settings_of(app).database_url)
    app.teardown_appcontext(_close_session)


def current_settings() -> Settings:
    """Return the current app's typed settings (built once per app)."""
    return settings_of(current_app)


def get_engine() -> Engine:
    """Return the current app's engine."""
    engine: Engine = current_app.extensions["engine"]
    return engine


def get_session() -> Session:
    """Return the session of the current request, opening it on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    session: Session = g.db_session
    return session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
