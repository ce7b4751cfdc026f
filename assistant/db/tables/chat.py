"""Tables of the chat: conversations, the questions asked, the answers given with their citations, feedback.

Changed only through the Alembic migrations. ``CitationRow`` holds the fields of ``models.Citation``
(the one definition; a test checks the columns against it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assistant.db.tables.base import Base, now


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    questions: Mapped[list[QuestionRow]] = relationship(
        back_populates="conversation", order_by="QuestionRow.position", cascade="all, delete-orphan"
    )


class QuestionRow(Base):
    __tablename__ = "questions"
    # One question per position in a conversation, whoever writes it (migration 0003).
    __table_args__ = (Index("uq_questions_conversation_position", "conversation_id", "position", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    context: Mapped[str | None] = mapped_column(Text)  # the earlier question a follow-up was read with
    read_as: Mapped[str | None] = mapped_column(Text)  # the standalone question a follow-up was asked as
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    conversation: Mapped[ConversationRow] = relationship(back_populates="questions")
    answer: Mapped[AnswerRow | None] = relationship(back_populates="question", cascade="all, delete-orphan")


class AnswerRow(Base):
    __tablename__ = "answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    abstained: Mapped[bool] = mapped_column(Boolean)
    abstain_reason: Mapped[str | None] = mapped_column(Text)
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    passages: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    timings_ms: Mapped[dict[str, float]] = mapped_column(JSON, default=dict)
    latency_ms: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    # Which answer source gave it (migration 0005); a curated answer keeps its CuratedInfo and the
    # extracted answer shown after it ("More from the documents"), both as JSON.
    origin: Mapped[str] = mapped_column(String(16), default="extracted", server_default="extracted")
    curated: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    more: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    question: Mapped[QuestionRow] = relationship(back_populates="answer")
    citations: Mapped[list[CitationRow]] = relationship(order_by="CitationRow.n", cascade="all, delete-orphan")
    feedback: Mapped[list[FeedbackRow]] = relationship(order_by="FeedbackRow.id", cascade="all, delete-orphan")


class CitationRow(Base):
    __tablename__ = "citations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    n: Mapped[int] = mapped_column(Integer)
    chunk_id: Mapped[str] = mapped_column(String(64), index=True)
    doc_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(Text)
    heading_path: Mapped[list[str]] = mapped_column(JSON)
    country: Mapped[str | None] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    page: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    line_start: Mapped[int | None] = mapped_column(Integer)
    line_end: Mapped[int | None] = mapped_column(Integer)
    quote: Mapped[str] = mapped_column(Text)
    quotes: Mapped[list[str]] = mapped_column(JSON)
    text: Mapped[str] = mapped_column(Text)
    attribution: Mapped[str | None] = mapped_column(Text)


class FeedbackRow(Base):
    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating IN ('up', 'down')", name="ck_feedback_rating"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), index=True)
    rating: Mapped[str] = mapped_column(String(4))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
