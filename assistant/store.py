"""The app database: conversations, questions, answers with their citations, timings and feedback.

Owns the SQLAlchemy 2 schema (changed only through the Alembic migrations in
``assistant/migrations``), opening the database and bringing it to the latest migration, and the
repository functions the web layer calls. Callers get domain objects (``Answer``, ``Citation``) and
small records back, never ORM rows or sessions. It knows nothing about HTTP or HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal
from uuid import uuid4

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload, sessionmaker

from assistant.config import Settings
from assistant.models import Answer, Citation, Passage

DEFAULT_DATABASE = Path("var") / "assistant.sqlite"
Rating = Literal["up", "down"]


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class ConversationRow(Base):
    __tablename__ = "conversations"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    questions: Mapped[list[QuestionRow]] = relationship(
        back_populates="conversation", order_by="QuestionRow.position", cascade="all, delete-orphan"
    )


class QuestionRow(Base):
    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[str] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    filters: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    context: Mapped[str | None] = mapped_column(Text)  # the earlier question a follow-up was read with
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
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
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


_CITATION_FIELDS = tuple(Citation.model_fields)


class UnknownRecord(LookupError):
    """A conversation or answer id that is not in the database."""


@dataclass
class Feedback:
    feedback_id: int
    answer_id: int
    rating: Rating
    comment: str | None
    created_at: datetime


@dataclass
class Turn:
    """One question of a conversation with its stored answer, as it was shown."""

    conversation_id: str
    position: int
    question_id: int
    question: str
    requested_filters: dict[str, str]
    context: str | None
    answer_id: int
    answer: Answer
    latency_ms: float
    asked_at: datetime
    feedback: list[Feedback] = field(default_factory=list)


@dataclass
class Conversation:
    conversation_id: str
    created_at: datetime
    turns: list[Turn]


def database_url(settings: Settings) -> str:
    """Settings.database_url, or a SQLite file ``var/assistant.sqlite`` under the working folder."""
    return settings.database_url or f"sqlite:///{DEFAULT_DATABASE.resolve()}"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    # WAL lets the chat read while another request writes; foreign keys make the cascades real.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(row.id, row.answer_id, row.rating, row.comment, row.created_at)  # type: ignore[arg-type]


def _turn(question: QuestionRow) -> Turn:
    row = question.answer
    assert row is not None
    answer = Answer(
        question=question.text,
        text=row.text,
        abstained=row.abstained,
        abstain_reason=row.abstain_reason,
        citations=[Citation(**{name: getattr(c, name) for name in _CITATION_FIELDS}) for c in row.citations],
        passages=[Passage.model_validate(p) for p in row.passages],
        filters=row.filters,
        timings_ms=row.timings_ms,
    )
    return Turn(
        conversation_id=question.conversation_id,
        position=question.position,
        question_id=question.id,
        question=question.text,
        requested_filters=question.filters,
        context=question.context,
        answer_id=row.id,
        answer=answer,
        latency_ms=row.latency_ms,
        asked_at=question.asked_at,
        feedback=[_feedback(f) for f in row.feedback],
    )


def _turn_options():
    return (
        selectinload(QuestionRow.answer).selectinload(AnswerRow.citations),
        selectinload(QuestionRow.answer).selectinload(AnswerRow.feedback),
    )


class Store:
    """Repository over one database; thread-safe (one short session per call)."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, settings: Settings) -> Store:
        """The database of the settings, migrated to the latest schema."""
        store = cls(database_url(settings))
        store.migrate()
        return store

    def migrate(self) -> None:
        """Apply every Alembic migration not applied yet (``alembic upgrade head``)."""
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "assistant:migrations")
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def ping(self) -> None:
        """Raise if the database cannot be read."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    def dispose(self) -> None:
        self.engine.dispose()

    def has_conversation(self, conversation_id: str) -> bool:
        with self.sessions() as session:
            return session.get(ConversationRow, conversation_id) is not None

    def conversation(self, conversation_id: str) -> Conversation:
        with self.sessions() as session:
            row = session.get(ConversationRow, conversation_id)
            if row is None:
                raise UnknownRecord(f"no conversation with id '{conversation_id}'")
            questions = session.scalars(
                select(QuestionRow)
                .where(QuestionRow.conversation_id == conversation_id)
                .order_by(QuestionRow.position)
                .options(*_turn_options())
            ).all()
            return Conversation(row.id, row.created_at, [_turn(q) for q in questions if q.answer is not None])

    def questions(self, conversation_id: str) -> list[tuple[str, str | None]]:
        """(question, context) of every question of a conversation, oldest first."""
        with self.sessions() as session:
            rows = session.execute(
                select(QuestionRow.text, QuestionRow.context)
                .where(QuestionRow.conversation_id == conversation_id)
                .order_by(QuestionRow.position)
            ).all()
            return [(text, context) for text, context in rows]

    def record_turn(
        self,
        conversation_id: str | None,
        requested_filters: dict[str, str],
        context: str | None,
        answer: Answer,
        latency_ms: float,
    ) -> Turn:
        """Store a question and its answer, in a new conversation when ``conversation_id`` is None."""
        with self.sessions.begin() as session:
            if conversation_id is None:
                conversation = ConversationRow(id=uuid4().hex)
                session.add(conversation)
                position = 1
            else:
                conversation = session.get(ConversationRow, conversation_id)
                if conversation is None:
                    raise UnknownRecord(f"no conversation with id '{conversation_id}'")
                position = len(conversation.questions) + 1
            question = QuestionRow(
                conversation=conversation,
                position=position,
                text=answer.question,
                filters=requested_filters,
                context=context,
            )
            question.answer = AnswerRow(
                text=answer.text,
                abstained=answer.abstained,
                abstain_reason=answer.abstain_reason,
                filters=answer.filters,
                passages=[p.model_dump(mode="json") for p in answer.passages],
                timings_ms=answer.timings_ms,
                latency_ms=latency_ms,
                citations=[CitationRow(**c.model_dump()) for c in answer.citations],
            )
            session.add(question)
            session.flush()
            return _turn(question)

    def turn(self, answer_id: int) -> Turn:
        with self.sessions() as session:
            question = session.scalars(
                select(QuestionRow).join(AnswerRow).where(AnswerRow.id == answer_id).options(*_turn_options())
            ).first()
            if question is None:
                raise UnknownRecord(f"no answer with id {answer_id}")
            return _turn(question)

    def add_feedback(self, answer_id: int, rating: Rating, comment: str | None) -> Feedback:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        with self.sessions.begin() as session:
            if session.get(AnswerRow, answer_id) is None:
                raise UnknownRecord(f"no answer with id {answer_id}")
            row = FeedbackRow(answer_id=answer_id, rating=rating, comment=(comment or "").strip() or None)
            session.add(row)
            session.flush()
            return _feedback(row)
