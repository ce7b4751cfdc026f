"""The accounts' repository: users and their roles, signing in with throttling, and API tokens.

The CLI and the web layer manage accounts through it and get domain objects back (``User``,
``Account``), never rows or sessions. Every change and every sign-in attempt writes its audit entry
in the same unit of work (``assistant.db.audit``). It knows nothing about HTTP, cookies or HTML.

Emails are account names: stripped, lower-cased and checked to be one address (the standard
library's RFC 5322 parser), unique. Signing in: five failed attempts in a row lock the account for
15 minutes, a lockout is logged at WARNING on ``assistant.audit``. Whatever refuses a sign-in (an
unknown email, a wrong password, a disabled or locked account) raises the same ``LoginRefused``
with the same message and takes the same time (an argon2 check), so a refusal tells nothing about
which accounts exist. API tokens are random secrets shown once; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from email.errors import MessageError
from email.headerregistry import Address
from typing import Any, NoReturn

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.db.audit import Actor, record
from assistant.db.engine import Database, UnknownRecord
from assistant.db.passwords import hash_password, rehash, verify_nothing, verify_password
from assistant.db.tables.accounts import ApiTokenRow, UserRow
from assistant.models import ACCOUNT_ROLES, Account, Role, User

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
LOGIN_REFUSED = (
    f"Wrong email or password. After {MAX_FAILED_LOGINS} failed attempts an account is locked for "
    f"{LOCKOUT.seconds // 60} minutes."
)
MAX_EMAIL_CHARS = 254  # RFC 5321's limit on a path


class AccountError(ValueError):
    """Account input that cannot be used: the message says what, and the valid values where it helps."""


class DuplicateEmail(AccountError):
    """An email another account already has."""


class UnknownAccount(UnknownRecord):
    """No account has this email."""


class LoginRefused(Exception):
    """A sign-in or token request refused; the message never says why (``LOGIN_REFUSED``)."""

    def __init__(self) -> None:
        super().__init__(LOGIN_REFUSED)


def normalise_email(email: str) -> str:
    """The email as an account name (stripped, lower-case), or AccountError when it is not one address."""
    address = email.strip().lower()
    if not address:
        raise AccountError("the email is empty")
    try:
        parsed = Address(addr_spec=address)
    except (ValueError, IndexError, MessageError):
        parsed = None
    # The parser quietly unquotes and drops parts; only an address it takes exactly as written is kept.
    if (parsed is None or not parsed.domain or parsed.addr_spec != address or len(address) > MAX_EMAIL_CHARS
            or not address.isprintable()):
        raise AccountError(f"not an email address: {email.strip()!r}")
    return address


def check_role(role: str) -> Role:
    if role not in ACCOUNT_ROLES:
        raise AccountError(f"unknown role {role!r}: the roles are {', '.join(ACCOUNT_ROLES)}")
    return role  # type: ignore[return-value]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes for what was written in UTC."""
    return moment.replace(tzinfo=UTC) if moment is not None and moment.tzinfo is None else moment


def _account(row: UserRow) -> Account:
    return Account(id=row.id, email=row.email, role=row.role, disabled=row.disabled,  # type: ignore[arg-type]
                   locked_until=_utc(row.locked_until), created_at=_utc(row.created_at))


def _user(row: UserRow) -> User:
    return User(id=row.id, email=row.email, role=row.role)  # type: ignore[arg-type]


def _snapshot(row: UserRow) -> dict[str, Any]:
    """What the audit log keeps of an account (never its password hash)."""
    return {"email": row.email, "role": row.role, "disabled": row.disabled}


def _row_by_email(session: Session, email: str) -> UserRow:
    address = normalise_email(email)
    row = session.scalar(select(UserRow).where(UserRow.email == address))
    if row is None:
        raise UnknownAccount(f"no account with email {address!r}")
    return row


class AccountsStore:
    """Accounts, sign-ins and tokens in one database; thread-safe (one short session per call)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # --- accounts -------------------------------------------------------------------------------

    def add_user(self, email: str, role: str, password: str, actor: Actor) -> Account:
        address, role = normalise_email(email), check_role(role)
        row = UserRow(email=address, role=role, password_hash=hash_password(password), disabled=False,
                      failed_logins=0)
        try:
            with self.database.unit_of_work() as session:
                if session.scalar(select(UserRow.id).where(UserRow.email == address)) is not None:
                    raise DuplicateEmail(f"an account with email {address!r} exists already")
                session.add(row)
                session.flush()
                record(session, actor, "user.added", "user", row.id, after=_snapshot(row))
        except IntegrityError as exc:  # added by someone else between the check and the insert
            raise DuplicateEmail(f"an account with email {address!r} exists already") from exc
        return _account(row)

    def accounts(self) -> list[Account]:
        with self.database.read() as session:
            return [_account(row) for row in session.scalars(select(UserRow).order_by(UserRow.email))]

    def account(self, email: str) -> Account:
        with self.database.read() as session:
            return _account(_row_by_email(session, email))

    def set_role(self, email: str, role: str, actor: Actor) -> Account:
        return self._change(email, actor, "user.role_changed", role=check_role(role))

    def disable(self, email: str, actor: Actor) -> Account:
        return self._change(email, actor, "user.disabled", disabled=True)

    def enable(self, email: str, actor: Actor) -> Account:
        return self._change(email, actor, "user.enabled", disabled=False, failed_logins=0, locked_until=None)

    def _change(self, email: str, actor: Actor, action: str, **fields: Any) -> Account:
        """Set fields of an account and audit the change; nothing is written when nothing changes."""
        with self.database.unit_of_work() as session:
            row = _row_by_email(session, email)
            before = _snapshot(row)
            for name, value in fields.items():
                setattr(row, name, value)
            if _snapshot(row) != before:
                record(session, actor, action, "user", row.id, before=before, after=_snapshot(row))
            return _account(row)

    def active_user(self, user_id: int) -> User | None:
        """The user with this id, or None when there is none or the account is disabled."""
        with self.database.read() as session:
            row = session.get(UserRow, user_id)
            return None if row is None or row.disabled else _user(row)

    # --- signing in -----------------------------------------------------------------------------

    def sign_in(self, email: str, password: str, client: str | None = None, via: str = "browser") -> User:
        """The user whose email and password these are; LoginRefused otherwise, or while locked."""
        found = None
        try:
            address = normalise_email(email)
            with self.database.read() as session:
                found = session.scalar(select(UserRow).where(UserRow.email == address))
        except AccountError:  # no account has it; not looked up (PostgreSQL refuses a NUL in text)
            address = "".join(ch if ch.isprintable() else "?" for ch in email.strip().lower())[:MAX_EMAIL_CHARS]
        anonymous = Actor.anonymous(client)
        if found is None or found.disabled:
            verify_nothing(password)
            reason = "unknown email" if found is None else "disabled"
            self._refuse(anonymous, found, address, reason, via)
        # Checked outside the transaction: argon2 takes tens of milliseconds, no lock is held meanwhile.
        correct = verify_password(found.password_hash, password)
        with self.database.unit_of_work() as session:
            row = session.get(UserRow, found.id, with_for_update=True)
            assert row is not None  # accounts are disabled, never deleted
            now = datetime.now(UTC)
            locked = (_utc(row.locked_until) or now) > now
            if correct and not locked:
                row.failed_logins, row.locked_until = 0, None
                row.password_hash = rehash(row.password_hash, password)
                user = _user(row)
                record(session, Actor.of(user, client), "login.success", "user", row.id, after={"via": via})
                return user
            if not locked:
                row.failed_logins += 1
                if row.failed_logins >= MAX_FAILED_LOGINS:
                    row.failed_logins, row.locked_until = 0, now + LOCKOUT
                    record(session, anonymous, "login.lockout", "user", row.id, level=logging.WARNING,
                           after={"email": row.email, "locked_until": row.locked_until.isoformat(), "via": via})
            self._failure(session, anonymous, row.id, row.email, "locked" if locked else "wrong password", via)
        raise LoginRefused()

    def _refuse(self, actor: Actor, row: UserRow | None, email: str, reason: str, via: str) -> NoReturn:
        with self.database.unit_of_work() as session:
            self._failure(session, actor, None if row is None else row.id, email, reason, via)
        raise LoginRefused()

    @staticmethod
    def _failure(session: Session, actor: Actor, user_id: int | None, email: str, reason: str, via: str) -> None:
        # INFO: a mistyped password is everyday; the lockout that repeated failures lead to is the WARNING.
        record(session, actor, "login.failure", "user", user_id, after={"email": email, "reason": reason, "via": via})

    def record_sign_out(self, user: User, client: str | None = None) -> None:
        with self.database.unit_of_work() as session:
            record(session, Actor.of(user, client), "logout", "user", user.id)

    # --- API tokens -----------------------------------------------------------------------------

    def issue_token(self, user: User, client: str | None = None) -> str:
        """A new API token for the user: the secret, shown this once; only its hash is kept."""
        secret = secrets.token_urlsafe(32)
        with self.database.unit_of_work() as session:
            row = ApiTokenRow(user_id=user.id, token_hash=token_hash(secret))
            session.add(row)
            session.flush()
            record(session, Actor.of(user, client), "token.issued", "api_token", row.id, after={"user": user.email})
        return secret

    def user_for_token(self, secret: str) -> User | None:
        """The user of a token that is neither revoked nor of a disabled account; None otherwise."""
        with self.database.read() as session:
            row = session.scalar(
                select(UserRow).join(ApiTokenRow, ApiTokenRow.user_id == UserRow.id)
                .where(ApiTokenRow.token_hash == token_hash(secret), ApiTokenRow.revoked_at.is_(None),
                       UserRow.disabled.is_(False))
            )
            return None if row is None else _user(row)

    def revoke_token(self, secret: str, actor: Actor) -> bool:
        """Revoke one token; False when it is unknown or revoked already."""
        return self._revoke(ApiTokenRow.token_hash == token_hash(secret), actor) > 0

    def revoke_tokens(self, email: str, actor: Actor) -> int:
        """Revoke every live token of an account; how many there were."""
        with self.database.read() as session:
            user_id = _row_by_email(session, email).id
        return self._revoke(ApiTokenRow.user_id == user_id, actor)

    def _revoke(self, which: Any, actor: Actor) -> int:
        with self.database.unit_of_work() as session:
            revoked = session.execute(
                update(ApiTokenRow).where(which, ApiTokenRow.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC)).returning(ApiTokenRow.id, ApiTokenRow.user_id)
            ).all()
            for token_id, user_id in revoked:
                record(session, actor, "token.revoked", "api_token", token_id, after={"user_id": user_id})
            return len(revoked)
