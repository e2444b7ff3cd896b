"""`locator admin`: create admin accounts and change their passwords (prompted, never typed
as an argument, so a password stays out of the shell history and the process list)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import click
from flask.cli import with_appcontext
from sqlmodel import Session

from locator.admin import accounts as admin_users
from locator.errors import LocatorError
from locator.web.session import get_engine


@click.group("admin")
def admin_group() -> None:
    """Admin accounts for the /admin pages."""


@admin_group.command("create-user")
@click.argument("name")
@click.option(
    "--role",
    type=click.Choice(admin_users.ROLES),
    default="admin",
    show_default=True,
    help="coordinator: records phone calls and exports, nothing else of the admin area.",
)
@with_appcontext
def create_user_command(name: str, role: str) -> None:
    """Create the admin or coordinator NAME; the password is asked for twice."""
    _change_account(
        partial(admin_users.create_user, role=role), "create_user", name, detail=f"role {role}"
    )
    click.echo(f"Created the {role} {name}. Sign in at /admin/login.")


@admin_group.command("set-password")
@click.argument("name")
@with_appcontext
def set_password_command(name: str) -> None:
    """Give the admin NAME a new password (their open sessions end)."""
    _change_account(admin_users.set_password, "set_password", name)
    click.echo(f"Changed the password of {name}.")


def _change_account(
    change: Callable[..., object], action: str, name: str, *, detail: str = ""
) -> None:
    """Ask for a password, apply ``change`` to the admin NAME and audit it, in one commit."""
    password = _ask_password()
    with Session(get_engine()) as session:
        try:
            change(session=session, username=name, password=password)
            admin_users.record(
                session=session,
                username="(command line)",
                action=action,
                target=name,
                detail=detail,
            )
            session.commit()
        except LocatorError as exc:
            raise click.ClickException(str(exc)) from exc


def _ask_password() -> str:
    password: str = click.prompt(
        f"Password (at least {admin_users.MIN_PASSWORD_LENGTH} characters)",
        hide_input=True,
        confirmation_prompt="Repeat the password",
    )
    return password
