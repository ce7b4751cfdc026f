"""Tables of curation: curated answers, their versions and phrasings, suggested phrasings, the
passages that changed under them, and the items of the moderators' review queue.

Changed only through the Alembic migrations (0005). A curated answer's body lives in its versions:
every edit adds a ``CuratedVersionRow`` and moves ``current_version``; nothing overwrites a version.
A queue item has a unique ``key`` (its kind and what it is about), so feeding the queue twice adds
nothing the second time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db.tables.base import Base, now

CURATED_STATUSES = ("draft", "published", "retired", "needs_review")
PHRASING_SOURCES = ("original", "alternate", "accepted-suggestion")
SUGGESTION_STATUSES = ("pending", "accepted", "rejected")
QUEUE_KINDS = ("thumbs_down", "abstained", "low_confidence", "repeated", "due_for_review", "source_changed")
QUEUE_STATUSES = ("open", "done", "dismissed")


def _check(column: str, values: tuple[str, ...], name: str) -> CheckConstraint:
    return CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")", name=name)


def _user_ref() -> Mapped[int | None]:
    return mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


def _curated_ref() -> Mapped[int]:
    return mapped_column(ForeignKey("curated_answers.id", ondelete="CASCADE"))


class CuratedAnswerRow(Base):
    __tablename__ = "curated_answers"
    __table_args__ = (_check("status", CURATED_STATUSES, "ck_curated_answers_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    country: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str | None] = mapped_column(String(100))
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # module, topic, document it answers for
    review_by: Mapped[date] = mapped_column(Date)
    created_by: Mapped[int | None] = _user_ref()
    created_by_name: Mapped[str] = mapped_column(String(320))
    reviewed_by: Mapped[int | None] = _user_ref()  # who published it last
    reviewed_by_name: Mapped[str | None] = mapped_column(String(320))
    reviewed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    current_version: Mapped[int] = mapped_column(Integer)
    published_version: Mapped[int | None] = mapped_column(Integer)  # the version served; None: never published
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class CuratedVersionRow(Base):
    __tablename__ = "curated_versions"
    __table_args__ = (Index("uq_curated_versions_version", "curated_id", "version", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    curated_id: Mapped[int] = _curated_ref()
    version: Mapped[int] = mapped_column(Integer)
    question: Mapped[str] = mapped_column(Text)
    quotes: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # models.Excerpt as JSON, in order
    note: Mapped[str | None] = mapped_column(Text)  # the moderator's own words
    editor_id: Mapped[int | None] = _user_ref()
    editor: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class PhrasingRow(Base):
    __tablename__ = "curated_phrasings"
    __table_args__ = (_check("source", PHRASING_SOURCES, "ck_curated_phrasings_source"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    curated_id: Mapped[int] = mapped_column(ForeignKey("curated_answers.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(String(2000), index=True)
    source: Mapped[str] = mapped_column(String(24))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class SuggestionRow(Base):
    __tablename__ = "suggested_phrasings"
    __table_args__ = (_check("status", SUGGESTION_STATUSES, "ck_suggested_phrasings_status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    curated_id: Mapped[int] = mapped_column(ForeignKey("curated_answers.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(Text)
    normalised: Mapped[str] = mapped_column(String(2000))
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    decided_by: Mapped[int | None] = _user_ref()
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SourceChangeRow(Base):
    __tablename__ = "source_changes"
    __table_args__ = (Index("uq_source_changes_passage", "curated_id", "chunk_id", "old_sha256", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    curated_id: Mapped[int] = _curated_ref()
    chunk_id: Mapped[str] = mapped_column(String(64))
    old_sha256: Mapped[str] = mapped_column(String(64))
    old_text: Mapped[str] = mapped_column(Text)
    new_chunk_id: Mapped[str | None] = mapped_column(String(64))
    new_text: Mapped[str | None] = mapped_column(Text)  # None: the passage was removed, nothing replaced it
    detected_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class QueueItemRow(Base):
    __tablename__ = "moderation_items"
    __table_args__ = (
        _check("kind", QUEUE_KINDS, "ck_moderation_items_kind"),
        _check("status", QUEUE_STATUSES, "ck_moderation_items_status"),
        Index("uq_moderation_items_key", "key", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # "thumbs_down:answer:12", "repeated:<normalised>"…
    kind: Mapped[str] = mapped_column(String(24))
    answer_id: Mapped[int | None] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"))
    curated_id: Mapped[int | None] = mapped_column(ForeignKey("curated_answers.id", ondelete="CASCADE"))
    question: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[str | None] = mapped_column(Text)  # the thumbs-down comment, how often it was asked…
    country: Mapped[str | None] = mapped_column(String(100))
    assigned_to: Mapped[int | None] = _user_ref()
    status: Mapped[str] = mapped_column(String(16), index=True, default="open")
    dismiss_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
