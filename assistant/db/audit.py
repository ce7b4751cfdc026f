"""The audit log: appending an entry in the caller's unit of work, and reading entries back.

Owns who an entry names (``Actor``: a signed-in user, the command line, or an anonymous visitor, and
the client's address), what it records (when, action, object, before/after as JSON) and the
``assistant.audit`` logger every entry is also written to. An entry is added in the same transaction
as the change it records, so a change is never committed without its entry, nor an entry without
its change. Entries are never updated or deleted: nothing here offers to, and the database refuses
to (triggers of migration 0004). Which actions exist is decided by the features that record them.
"""

from __future__ import annotations

import getpass
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.db.engine import Database
from assistant.db.tables.accounts import AuditRow
from assistant.models import User

logger = logging.getLogger("assistant.audit")
ANONYMOUS_NAME = "anonymous"


@dataclass(frozen=True)
class Actor:
    """Who did something and, for a web request, from which address."""

    name: str
    user_id: int | None = None
    client: str | None = None

    @classmethod
    def of(cls, user: User, client: str | None = None) -> Actor:
        return cls(user.email or ANONYMOUS_NAME, user.id, client)

    @classmethod
    def anonymous(cls, client: str | None = None) -> Actor:
        return cls(ANONYMOUS_NAME, None, client)

    @classmethod
    def command_line(cls) -> Actor:
        """The person at the terminal, known by their operating-system account."""
        try:
            return cls(f"cli ({getpass.getuser()})")
        except (KeyError, OSError):  # no login name in a bare container
            return cls("cli")


class AuditEvent(BaseModel):
    """One entry of the audit log, as it was written."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    object_type: str | None
    object_id: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    client: str | None


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str | None = None,
    object_id: str | int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    level: int = logging.INFO,
) -> None:
    """Append an entry to the log in ``session``'s transaction, and write it to the ``assistant.audit`` logger."""
    object_id = None if object_id is None else str(object_id)
    session.add(AuditRow(actor_id=actor.user_id, actor=actor.name[:320], action=action, object_type=object_type,
                         object_id=object_id, before=before, after=after, client=actor.client))
    logger.log(level, "%s by %s%s on %s %s: %s -> %s", action, actor.name,
               f" from {actor.client}" if actor.client else "", object_type or "-", object_id or "-", before, after)


@dataclass(frozen=True)
class AuditQuery:
    """Which entries to read: each field narrows the log (``actor`` and ``object_id`` match a part of
    the text, case-insensitively; ``since``/``until`` bound ``at``, both included)."""

    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def where(self) -> list[Any]:
        found = []
        if self.actor:
            found.append(func.lower(AuditRow.actor).contains(self.actor.lower(), autoescape=True))
        if self.action:
            found.append(AuditRow.action == self.action)
        if self.object_type:
            found.append(AuditRow.object_type == self.object_type)
        if self.object_id:
            found.append(AuditRow.object_id.contains(self.object_id, autoescape=True))
        if self.since is not None:
            found.append(AuditRow.at >= self.since)
        if self.until is not None:
            found.append(AuditRow.at <= self.until)
        return found


def find_audit_events(
    database: Database, query: AuditQuery, offset: int = 0, limit: int | None = 100
) -> tuple[list[AuditEvent], int]:
    """The entries ``query`` selects, newest first, from ``offset`` (``limit`` of them; None: all), and
    how many it selects in all."""
    rows = select(AuditRow).where(*query.where()).order_by(AuditRow.id.desc()).offset(offset).limit(limit)
    with database.read() as session:
        total = session.scalar(select(func.count()).select_from(AuditRow).where(*query.where())) or 0
        return [AuditEvent.model_validate(row, from_attributes=True) for row in session.scalars(rows)], total


def audit_vocabulary(database: Database) -> tuple[list[str], list[str]]:
    """The actions and the object types the log holds, sorted (the choices of its filters)."""
    with database.read() as session:
        actions = session.scalars(select(AuditRow.action).distinct().order_by(AuditRow.action)).all()
        types = session.scalars(
            select(AuditRow.object_type).where(AuditRow.object_type.is_not(None)).distinct()
            .order_by(AuditRow.object_type)
        ).all()
        return list(actions), [t for t in types if t]


def audit_events(database: Database, action: str | None = None, limit: int = 100) -> list[AuditEvent]:
    """The latest entries, newest first, of one action or of all."""
    query = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
    if action is not None:
        query = query.where(AuditRow.action == action)
    with database.read() as session:
        return [AuditEvent.model_validate(row, from_attributes=True) for row in session.scalars(query)]
