"""The `locator` command: set up the store, serve the site, print the example configuration.

Importer commands (`locator import ...`, `locator seed`) live in scrapers/cli.py and are
registered through the "flask.commands" entry point, so the app never imports scrapers.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext

from locator import create_app
from locator.admin_cli import admin_group
from locator.config import example_toml
from locator.db import get_engine, migrate, schema_is_current


@click.group(cls=FlaskGroup, create_app=create_app, add_version_option=False)
def cli() -> None:
    """Treatment-resource locator: facilities, meetings and state kratom law."""


@cli.command("migrate")
@click.option("--revision", default="head", show_default=True, help="Alembic revision.")
@with_appcontext
def migrate_command(revision: str) -> None:
    """Create or upgrade the database schema."""
    migrate(get_engine(), revision)
    click.echo(f"Database schema is at {revision}: {_safe_url()}")


@cli.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve_command(host: str, port: int) -> None:
    """Serve the site (single process, for one machine; see README for production)."""
    from werkzeug.serving import run_simple

    if not schema_is_current(get_engine()):
        raise click.ClickException(
            f"The database at {_safe_url()} is not set up or is out of date: run `locator init`."
        )
    _ = current_app.extensions["geocoder"].gazetteer  # build it now, not on the first search
    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


@cli.command("config-example")
def config_example_command() -> None:
    """Print config.example.toml as generated from the declared settings."""
    click.echo(example_toml(), nl=False)


cli.add_command(admin_group)


def _safe_url() -> str:
    return get_engine().url.render_as_string(hide_password=True)


def main() -> None:
    """Run the `locator` command."""
    cli()
