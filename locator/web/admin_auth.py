"""Who is signed in to the admin area, the check every /admin page runs, and the audit log.

The session cookie holds the admin's id and a fingerprint of their password hash, so changing
a password signs out every other session.
"""

from __future__ import annotations

from flask import abort, g, redirect, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from locator.admin import accounts as admin_users
from locator.models import AdminUser
from locator.web.session import current_settings, get_session

OPEN_ENDPOINTS = {"admin.login"}
# What a coordinator may open; every other admin page is for admins only.
COORDINATOR_ENDPOINTS = {"admin.logout", "calls.mine", "calls.record"}


def require_admin() -> Response | None:
    """Send anyone not signed in to the sign-in page; keep coordinators to their pages."""
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    user = signed_in_user()
    if user is None:
        session.pop("admin_id", None)
        return redirect(url_for("admin.login", next=request.full_path.rstrip("?")))
    if user.role != "admin" and request.endpoint not in COORDINATOR_ENDPOINTS:
        abort(
            403,
            gettext("This page is for admins. Coordinators record calls on facility pages."),
        )
    g.admin = user
    return None


def home_of(user: AdminUser) -> str:
    """Return where an account lands after signing in."""
    return url_for("admin.imports" if user.role == "admin" else "calls.mine")


def signed_in_user() -> AdminUser | None:
    """Return the signed-in admin or coordinator of this request, or None (memoized)."""
    if "signed_in_user" not in g:
        g.signed_in_user = _signed_in_admin()
    found: AdminUser | None = g.signed_in_user
    return found


def _signed_in_admin() -> AdminUser | None:
    admin_id = session.get("admin_id")
    if not isinstance(admin_id, int):
        return None
    user = get_session().get(AdminUser, admin_id)
    if user is None or not user.active:
        return None
    if session.get("admin_stamp") != admin_users.session_stamp(user):
        return None
    return user


def client_hash() -> str:
    """Return the audit log's hash of the client address."""
    return admin_users.address_hash(request.remote_addr or "", current_settings().secret_key)


def audit(action: str, target: str = "", detail: str = "") -> None:
    """Add an audit-log row for the signed-in admin (committed with the action)."""
    admin_users.record(
        session=get_session(),
        username=g.admin.username,
        action=action,
        target=target,
        detail=detail,
        address=client_hash(),
    )
