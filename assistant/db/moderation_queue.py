"""The moderators' review queue: listing items with filters, showing one with its conversation, and
the actions on it (assign to a person, dismiss with a reason, mark done).

Items are added by ``queue_feed`` (thumbs-down, abstentions, low-confidence answers, repeated
questions, answers due for review) and by the staleness check (source changed); each has a unique
key, so an item is never added twice. Every action writes its audit entry in the same unit of work.
An item is owned by one person: it is assigned to an active account with the moderator or admin
role, never to a group. Domain objects out (``QueueItem``, ``QueueItemView``), never rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db.audit import Actor, record
from assistant.db.chat_store import ChatStore
from assistant.db.curation_records import CuratedHistory, CurationError
from assistant.db.curation_rows import locked_in_status, utc
from assistant.db.engine import Database, UnknownRecord
from assistant.db.tables.accounts import UserRow
from assistant.db.tables.curation import QueueItemRow
from assistant.models import Turn

QueueKind = Literal["thumbs_down", "abstained", "low_confidence", "repeated", "due_for_review", "source_changed"]
QueueStatus = Literal["open", "done", "dismissed"]
OWNER_ROLES = ("moderator", "admin")


class UnknownQueueItem(UnknownRecord):
    """No queue item has this id."""


class QueueItem(BaseModel):
    """One thing for a moderator to look at, and why."""

    id: int
    kind: QueueKind
    status: QueueStatus
    question: str | None
    detail: str | None  # the thumbs-down comment, how often a question was asked, what changed…
    country: str | None
    answer_id: int | None
    curated_id: int | None
    assigned_to: int | None
    dismiss_reason: str | None
    created_at: datetime
    updated_at: datetime


class QueueItemView(BaseModel):
    """An item with what a moderator needs to judge it: the turn (question, answer, citations,
    passages), the conversation before it, and for a curated answer its history and changed passages."""

    item: QueueItem
    turn: Turn | None = None
    earlier: list[Turn] = []
    curated: CuratedHistory | None = None


def _item(row: QueueItemRow) -> QueueItem:
    return QueueItem(
        id=row.id, kind=row.kind, status=row.status, question=row.question, detail=row.detail,  # type: ignore[arg-type]
        country=row.country, answer_id=row.answer_id, curated_id=row.curated_id, assigned_to=row.assigned_to,
        dismiss_reason=row.dismiss_reason, created_at=utc(row.created_at), updated_at=utc(row.updated_at),
    )


def _snapshot(row: QueueItemRow) -> dict[str, object]:
    return {"status": row.status, "assigned_to": row.assigned_to, "dismiss_reason": row.dismiss_reason}


def _open_row(session: Session, item_id: int) -> QueueItemRow:
    missing = UnknownQueueItem(f"no queue item with id {item_id}")
    return locked_in_status(session, QueueItemRow, item_id, "open", missing, "queue item")


def add_item(session: Session, key: str, kind: str, **fields: object) -> bool:
    """Add an open item unless one with this key exists (open or not); True when added."""
    if session.scalar(select(QueueItemRow.id).where(QueueItemRow.key == key)) is not None:
        return False
    now = datetime.now(UTC)
    session.add(QueueItemRow(key=key[:200], kind=kind, status="open", created_at=now, updated_at=now, **fields))
    session.flush()
    return True


def close_item(session: Session, actor: Actor, item_id: int, outcome: str) -> None:
    """Mark an open item done in the caller's unit of work, audited with what settled it."""
    row = _open_row(session, item_id)
    before = _snapshot(row)
    row.status, row.updated_at = "done", datetime.now(UTC)
    record(session, actor, "queue.done", "queue_item", item_id, before, {**_snapshot(row), "outcome": outcome})


class ModerationQueue:
    """The review queue of one database; thread-safe (one short session per call)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def items(
        self, kind: str | None = None, country: str | None = None, since: datetime | None = None,
        until: datetime | None = None, assigned_to: int | None = None, status: str | None = "open",
        limit: int = 200,
    ) -> list[QueueItem]:
        """Items, newest first, filtered by reason (kind), country, date range, owner and status."""
        query = select(QueueItemRow).order_by(QueueItemRow.created_at.desc(), QueueItemRow.id.desc()).limit(limit)
        for column, value in ((QueueItemRow.kind, kind), (QueueItemRow.country, country),
                              (QueueItemRow.assigned_to, assigned_to), (QueueItemRow.status, status)):
            if value is not None:
                query = query.where(column == value)
        if since is not None:
            query = query.where(QueueItemRow.created_at >= since)
        if until is not None:
            query = query.where(QueueItemRow.created_at <= until)
        with self.database.read() as session:
            return [_item(row) for row in session.scalars(query)]

    def item(self, item_id: int) -> QueueItem:
        with self.database.read() as session:
            row = session.get(QueueItemRow, item_id)
            if row is None:
                raise UnknownQueueItem(f"no queue item with id {item_id}")
            return _item(row)

    def view(self, item_id: int) -> QueueItemView:
        """The item with its turn, the conversation before it, and its curated answer's history."""
        item = self.item(item_id)
        view = QueueItemView(item=item)
        if item.answer_id is not None:
            chat = ChatStore(self.database)
            view.turn = chat.turn(item.answer_id)
            turns = chat.conversation(view.turn.conversation_id).turns
            view.earlier = [t for t in turns if t.position < view.turn.position]
        if item.curated_id is not None:
            from assistant.db.curation_store import CurationStore  # it closes items: imported here, not above

            view.curated = CurationStore(self.database).history(item.curated_id)
        return view

    def question_of(self, item_id: int) -> str:
        """The question an item is about (its own, else its turn's), to attach as a phrasing;
        CurationError when it has none (a curated answer due for review, say)."""
        item = self.item(item_id)
        question = item.question
        if not question and item.answer_id is not None:
            question = ChatStore(self.database).turn(item.answer_id).question
        if not question:
            raise CurationError(f"queue item {item_id} has no question to attach")
        return question

    def assign(self, actor: Actor, item_id: int, user_id: int) -> QueueItem:
        """Give the item to one person: an active account with the moderator or admin role."""
        with self.database.unit_of_work() as session:
            user = session.get(UserRow, user_id)
            if user is None or user.disabled or user.role not in OWNER_ROLES:
                raise CurationError(f"user {user_id} is not an active moderator or admin: items are assigned to one")
            row = _open_row(session, item_id)
            before = _snapshot(row)
            row.assigned_to, row.updated_at = user_id, datetime.now(UTC)
            record(session, actor, "queue.assigned", "queue_item", item_id, before,
                   {**_snapshot(row), "assignee": user.email})
            return _item(row)

    def dismiss(self, actor: Actor, item_id: int, reason: str) -> QueueItem:
        text = " ".join(reason.split())
        if not text:
            raise CurationError("say why the item is dismissed: the reason is required")
        with self.database.unit_of_work() as session:
            row = _open_row(session, item_id)
            before = _snapshot(row)
            row.status, row.dismiss_reason, row.updated_at = "dismissed", text[:2000], datetime.now(UTC)
            record(session, actor, "queue.dismissed", "queue_item", item_id, before, _snapshot(row))
            return _item(row)

    def done(self, actor: Actor, item_id: int, outcome: str) -> QueueItem:
        with self.database.unit_of_work() as session:
            close_item(session, actor, item_id, outcome)
            return _item(session.get(QueueItemRow, item_id))


def close_review_items(session: Session, actor: Actor, curated_id: int) -> None:
    """Publishing or retiring an answer settles its open "due for review" and "source changed" items."""
    items = session.scalars(select(QueueItemRow.id).where(
        QueueItemRow.curated_id == curated_id, QueueItemRow.status == "open",
        QueueItemRow.kind.in_(("due_for_review", "source_changed"))))
    for item_id in list(items):
        close_item(session, actor, item_id, f"curated answer {curated_id} reviewed")
