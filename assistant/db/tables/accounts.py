"""Tables of accounts: users with their role and sign-in throttle, their API tokens, and the audit log.

Changed only through the Alembic migrations (0004). A password is stored as its argon2 hash and a
token as the SHA-256 of its secret, never in clear. ``audit_log`` is append-only: the migration puts
triggers on it that refuse UPDATE and DELETE on SQLite and PostgreSQL, so no code path can rewrite
history; its actor is kept as written (an id and a name, no foreign key) so an entry outlives any
change to the account it names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db.tables.base import Base, now
from assistant.models import ACCOUNT_ROLES

ROLE_CHECK = "role IN (" + ", ".join(f"'{role}'" for role in ACCOUNT_ROLES) + ")"


class UserRow(Base):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(ROLE_CHECK, name="ck_users_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)  # normalised: stripped, lower-case
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)  # since the last success or lockout
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class ApiTokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # sha256 hex of the secret
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AuditRow(Base):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # the signed-in user; None: anonymous or the CLI
    actor: Mapped[str] = mapped_column(String(320))  # their email, "cli (USER)" or "anonymous"
    action: Mapped[str] = mapped_column(String(64), index=True)  # "user.added", "login.failure"…
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    client: Mapped[str | None] = mapped_column(String(64))  # the client's address, for web events
