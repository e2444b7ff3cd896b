"""The `locator` command: set up the store, serve the site, print the example configuration.

Importer commands (`locator import ...`, `locator seed`) live in scrapers/cli.py and are
registered through the "flask.commands" entry point, so the app never imports scrapers.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from locator import create_app
from locator.config import example_toml, settings_of
from locator.db import migrate, schema_is_current
from locator.ops import translations as i18n_catalog
from locator.ops.admin_cli import admin_group
from locator.ops.backup import BackupError, backup, restore
from locator.serving import configure_logging, gunicorn_argv
from locator.web.session import get_engine


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
@click.option("--host", default="127.0.0.1", show_default=True, help="Development server host.")
@click.option("--port", default=5000, show_default=True, type=int, help="Development port.")
@click.option("--prod", is_flag=True, help="Run gunicorn with the serve_* settings instead.")
@click.option("--bind", default=None, help="With --prod: host:port (default: serve_bind).")
@click.option("--workers", default=None, type=click.IntRange(1), help="With --prod: workers.")
@with_appcontext
def serve_command(host: str, port: int, prod: bool, bind: str | None, workers: int | None) -> None:
    """Serve the site: one process for one machine, or gunicorn workers with --prod."""
    _check_database_for_serving()
    if prod:
        _serve_gunicorn(bind, workers)
        return
    if bind or workers:
        raise click.UsageError("--bind and --workers go with --prod.")
    from werkzeug.serving import run_simple

    configure_logging(settings_of(current_app).log_level)
    _ = current_app.extensions["geocoder"].gazetteer  # build it now, not on the first search
    click.echo(f"Serving on http://{host}:{port}  (Ctrl+C to stop)")
    run_simple(host, port, current_app._get_current_object(), threaded=True)  # type: ignore[attr-defined]


def _check_database_for_serving() -> None:
    """Stop with one sentence when the database is dead, unreadable or not ours."""
    try:
        current = schema_is_current(get_engine())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:200]
        raise click.ClickException(
            f"Cannot read the database at {_safe_url()} ({reason}): check database_url "
            "(LOCATOR_DATABASE_URL) and that the server is running and the file intact."
        ) from None
    if not current:
        raise click.ClickException(
            f"The database at {_safe_url()} is not set up or is out of date: run `locator init`."
        )


def _serve_gunicorn(bind: str | None, workers: int | None) -> None:
    import os

    argv = gunicorn_argv(settings_of(current_app), bind=bind, workers=workers)
    click.echo(f"Starting gunicorn: {' '.join(argv[1:])}", err=True)
    for key in ("engine", "reading_engine"):  # the workers open their own connections
        current_app.extensions[key].dispose()
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process, so a supervisor's SIGTERM reaches gunicorn's master directly.
    os.execv(argv[0], argv)  # noqa: S606


@cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace PATH if it exists.")
@with_appcontext
def backup_command(path: Path, force: bool) -> None:
    """Copy the database to PATH while the site keeps serving (pg_dump -Fc on PostgreSQL)."""

    click.echo(_backup_step(lambda: backup(get_engine(), path, force=force)))


@cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that is already set up.")
@with_appcontext
def restore_command(path: Path, force: bool) -> None:
    """Replace the database with a backup made by `locator backup` at the same migration."""

    click.echo(_backup_step(lambda: restore(get_engine(), path, force=force)))


def _backup_step(step: Callable[[], str]) -> str:

    try:
        return step()
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc


@cli.command("config-example")
def config_example_command() -> None:
    """Print config.example.toml as generated from the declared settings."""
    click.echo(example_toml(), nl=False)


@cli.group("translations")
def translations_group() -> None:
    """Extract, update, check and compile the interface translations (locator/translations)."""


@translations_group.command("extract")
def translations_extract() -> None:
    """Write locator/translations/messages.pot from the sources and the data tables."""
    template = i18n_catalog.extract()
    i18n_catalog.write_template(template)
    click.echo(f"{len(template)} messages written to {i18n_catalog.POT_FILE}")


@translations_group.command("update")
def translations_update() -> None:
    """Merge new and changed messages into every language's .po (to be translated there)."""
    template = i18n_catalog.extract()
    for locale in i18n_catalog.locales():
        i18n_catalog.update(locale, template)
        click.echo(f"{i18n_catalog.po_path(locale)} updated")


@translations_group.command("compile")
def translations_compile() -> None:
    """Compile every language's .po into the .mo the site reads."""
    for locale in i18n_catalog.locales():
        click.echo(f"{i18n_catalog.compile_catalog(locale)} compiled")


@translations_group.command("check")
def translations_check() -> None:
    """Fail if a message is missing, untranslated, fuzzy or has other placeholders."""
    template = i18n_catalog.extract()
    failed = False
    for locale in i18n_catalog.locales():
        found = i18n_catalog.problems(template, i18n_catalog.read_catalog(locale))
        for problem in found:
            click.echo(f"{locale}: {problem}", err=True)
        failed = failed or bool(found)
        click.echo(f"{locale}: {len(template)} messages, {len(found)} problems")
    if failed:
        raise click.ClickException("Run `locator translations update`, then translate.")


cli.add_command(admin_group)


def _safe_url() -> str:
    return get_engine().url.render_as_string(hide_password=True)


def main() -> None:
    """Run the `locator` command."""
    cli()
