"""Admin accounts and the audit log: hashed passwords, sign-in checks, who did what.

Passwords are kept only as werkzeug scrypt hashes. A sign-in with an unknown name still
checks a hash, so the answer takes as long as for a known name with a wrong password. The
audit log keeps an HMAC of the client address under the secret key, never the address.
"""

from __future__ import annotations

import hashlib
import hmac
import re

from sqlalchemy import func, select
from sqlmodel import Session, col
from werkzeug.security import check_password_hash, generate_password_hash

from locator.errors import N_, BadQueryError, LocatorError
from locator.models import AdminUser, AuditLog, utcnow

HASH_METHOD = "scrypt"
MIN_PASSWORD_LENGTH = 12
USERNAME = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")
# Checked against when the username is unknown, so timing does not tell names apart.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=HASH_METHOD)


class AdminUserError(LocatorError):
    """An admin account cannot be created or changed; the message says why."""


def check_username(username: str) -> str:
    """Return the username if it is 2-64 letters, digits or ``_ . @ -``.

    Raises:
        AdminUserError: with a sentence saying what to type instead.
    """
    if not USERNAME.match(username):
        raise AdminUserError(
            "A username is 2 to 64 letters, digits or the signs _ . @ - (no spaces)."
        )
    return username


def check_password(password: str) -> str:
    """Return the password if it is long enough.

    Raises:
        AdminUserError: when it is shorter than MIN_PASSWORD_LENGTH.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AdminUserError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    return password


def find_user(*, session: Session, username: str) -> AdminUser | None:
    """Return the account with this username, or None."""
    return session.scalars(select(AdminUser).where(col(AdminUser.username) == username)).first()


def create_user(*, session: Session, username: str, password: str) -> AdminUser:
    """Create an admin account with a hashed password.

    Raises:
        AdminUserError: the name is taken or not acceptable, or the password is too short.
    """
    check_username(username)
    check_password(password)
    if find_user(session=session, username=username) is not None:
        raise AdminUserError(f"There is already an admin called {username}.")
    user = AdminUser(
        username=username, password_hash=generate_password_hash(password, method=HASH_METHOD)
    )
    session.add(user)
    session.commit()
    return user


def set_password(*, session: Session, username: str, password: str) -> AdminUser:
    """Replace an admin's password (signing out every session of theirs).

    Raises:
        AdminUserError: no such admin, or the password is too short.
    """
    check_password(password)
    user = find_user(session=session, username=username)
    if user is None:
        raise AdminUserError(f"There is no admin called {username}.")
    user.password_hash = generate_password_hash(password, method=HASH_METHOD)
    session.add(user)
    session.commit()
    return user


def authenticate(*, session: Session, username: str, password: str) -> AdminUser | None:
    """Return the active account these credentials open, or None (and record the sign-in)."""
    user = find_user(session=session, username=username)
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    user.last_login_at = utcnow()
    session.add(user)
    session.commit()
    return user


def session_stamp(user: AdminUser) -> str:
    """Return a short fingerprint of the password hash and the session epoch.

    A new password or a sign-out (which raises the epoch) ends the sessions issued before.
    """
    material = f"{user.password_hash}:{user.session_epoch}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def end_sessions(*, session: Session, user: AdminUser) -> None:
    """End every session of ``user`` issued so far (committed with the caller's work)."""
    user.session_epoch += 1
    session.add(user)


def address_hash(address: str, secret: str) -> str:
    """Hash a client address with the secret key: the same address matches, none is kept."""
    return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]


def record(
    *,
    session: Session,
    username: str,
    action: str,
    target: str = "",
    detail: str = "",
    address: str = "",
) -> AuditLog:
    """Write one audit-log row (the caller's transaction commits it with the action)."""
    entry = AuditLog(
        username=username[:64],
        action=action,
        target=target[:200],
        detail=detail,
        address_hash=address,
    )
    session.add(entry)
    return entry


def audit_page(*, session: Session, page: int, per_page: int) -> tuple[list[AuditLog], int]:
    """Return one page of the audit log, newest first, and how many rows there are."""
    if page < 1:
        raise BadQueryError(N_("The page number must be a whole number from 1."), field="page")
    query = select(AuditLog).order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc())
    rows = session.scalars(query.offset((page - 1) * per_page).limit(per_page))
    total = session.scalar(select(func.count()).select_from(AuditLog)) or 0
    return list(rows), total
