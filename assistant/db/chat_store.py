"""The chat's repository: conversations, questions, answers with their citations, timings and feedback.

The web layer stores and reads chat turns through it and gets domain objects back (``Turn``,
``Answer``, ``Feedback``), never ORM rows or sessions. An answer keeps which source gave it
(``origin``), and a curated one its ``CuratedInfo`` and the extracted answer shown after it
(``more``). Writes go through the database's unit of
work. It knows nothing about HTTP or HTML.

Turns of one conversation may be written at the same time by several threads, workers or machines;
each gets the next free position. The conversation is locked while its position is chosen (its row
on PostgreSQL, the database's write lock on SQLite), so its turns are written one after the other,
none lost; the database refuses a position taken twice (migration 0003), so none is duplicated.
"""

from __future__ import annotations

from uuid import uuid4

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, selectinload

from assistant.config import Settings
from assistant.db.engine import Database, UnknownRecord
from assistant.db.tables.base import now
from assistant.db.tables.chat import AnswerRow, CitationRow, ConversationRow, FeedbackRow, QuestionRow
from assistant.models import Answer, Citation, Conversation, CuratedInfo, Feedback, Passage, Rating, Turn

_CITATION_FIELDS = tuple(Citation.model_fields)


def _feedback(row: FeedbackRow) -> Feedback:
    return Feedback(
        feedback_id=row.id, answer_id=row.answer_id, rating=row.rating, comment=row.comment, created_at=row.created_at
    )


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
        origin=row.origin or "extracted",
        curated=None if row.curated is None else CuratedInfo.model_validate(row.curated),
        more=None if row.more is None else Answer.model_validate(row.more),
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
        read_as=question.read_as,
    )


def _turn_options():
    return (
        selectinload(QuestionRow.answer).selectinload(AnswerRow.citations),
        selectinload(QuestionRow.answer).selectinload(AnswerRow.feedback),
    )


def _may_exist(conversation_id: str) -> bool:
    """False for an id no database can hold: PostgreSQL text has no NUL character, and looking one up
    there is an error, where it should be a miss."""
    return "\x00" not in conversation_id


def _next_position(session: Session, conversation_id: str) -> int:
    """The position after the conversation's last turn, with the conversation locked until the turn commits."""
    # An UPDATE that changes nothing, rather than SELECT … FOR UPDATE, because SQLite has no row
    # locks: there it takes the database's write lock before the last position is read, as it locks
    # the conversation row on PostgreSQL. Either way a concurrent turn of the conversation waits
    # here, then reads the position this one took.
    locked = _may_exist(conversation_id) and session.execute(
        update(ConversationRow)
        .where(ConversationRow.id == conversation_id)
        .values(id=ConversationRow.id)
        .execution_options(synchronize_session=False)  # nothing changes that the session holds
    ).rowcount
    if not locked:
        raise UnknownRecord(f"no conversation with id '{conversation_id}'")
    last = session.scalar(select(func.max(QuestionRow.position)).where(QuestionRow.conversation_id == conversation_id))
    return (last or 0) + 1


class ChatStore:
    """Conversations and their turns in one database; thread-safe (one short session per call)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @classmethod
    def open(cls, settings: Settings, migrate: bool = True) -> ChatStore:
        """The chat store of the settings' database, migrated to the latest schema unless told not to."""
        return cls(Database.from_settings(settings, migrate))

    def has_conversation(self, conversation_id: str) -> bool:
        with self.database.read() as session:
            return _may_exist(conversation_id) and session.get(ConversationRow, conversation_id) is not None

    def conversation(self, conversation_id: str) -> Conversation:
        with self.database.read() as session:
            row = session.get(ConversationRow, conversation_id) if _may_exist(conversation_id) else None
            if row is None:
                raise UnknownRecord(f"no conversation with id '{conversation_id}'")
            questions = session.scalars(
                select(QuestionRow)
                .where(QuestionRow.conversation_id == conversation_id)
                .order_by(QuestionRow.position)
                .options(*_turn_options())
            ).all()
            return Conversation(
                conversation_id=row.id,
                created_at=row.created_at,
                turns=[_turn(q) for q in questions if q.answer is not None],
            )

    def questions(self, conversation_id: str) -> list[tuple[str, str | None]]:
        """(question, context) of every question of a conversation, oldest first."""
        if not _may_exist(conversation_id):
            return []
        with self.database.read() as session:
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
        read_as: str | None = None,
    ) -> Turn:
        """Store a question and its answer, in a new conversation when ``conversation_id`` is None.

        ``context`` is the earlier question a follow-up was read with; ``read_as`` the standalone
        question it was asked as, when it was rewritten.
        """
        # Core inserts, not the ORM's unit of work: the flush of a question, its answer and citations
        # as objects took a quarter of a served question's time; the turn is made from what was written.
        asked_at = now()
        with self.database.unit_of_work() as session:
            if conversation_id is None:
                conversation_id = uuid4().hex
                session.execute(insert(ConversationRow).values(id=conversation_id, created_at=asked_at))
                position = 1
            else:
                position = _next_position(session, conversation_id)
            question_id = session.execute(insert(QuestionRow).values(
                conversation_id=conversation_id, position=position, text=answer.question,
                filters=requested_filters, context=context, read_as=read_as, asked_at=asked_at,
            ).returning(QuestionRow.id)).scalar_one()
            answer_id = session.execute(insert(AnswerRow).values(
                question_id=question_id, text=answer.text, abstained=answer.abstained,
                abstain_reason=answer.abstain_reason, filters=answer.filters,
                passages=[p.model_dump(mode="json") for p in answer.passages], timings_ms=answer.timings_ms,
                latency_ms=latency_ms, created_at=asked_at, origin=answer.origin,
                curated=None if answer.curated is None else answer.curated.model_dump(mode="json"),
                more=None if answer.more is None else answer.more.model_dump(mode="json"),
            ).returning(AnswerRow.id)).scalar_one()
            if answer.citations:
                session.execute(insert(CitationRow), [{**c.model_dump(), "answer_id": answer_id}
                                                      for c in answer.citations])
        return Turn(
            conversation_id=conversation_id, position=position, question_id=question_id, question=answer.question,
            requested_filters=requested_filters, context=context, answer_id=answer_id, answer=answer,
            latency_ms=latency_ms, asked_at=asked_at, feedback=[], read_as=read_as,
        )

    def turn(self, answer_id: int) -> Turn:
        with self.database.read() as session:
            question = session.scalars(
                select(QuestionRow).join(AnswerRow).where(AnswerRow.id == answer_id).options(*_turn_options())
            ).first()
            if question is None:
                raise UnknownRecord(f"no answer with id {answer_id}")
            return _turn(question)

    def add_feedback(self, answer_id: int, rating: Rating, comment: str | None) -> Feedback:
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        with self.database.unit_of_work() as session:
            if session.get(AnswerRow, answer_id) is None:
                raise UnknownRecord(f"no answer with id {answer_id}")
            row = FeedbackRow(answer_id=answer_id, rating=rating, comment=(comment or "").strip() or None)
            session.add(row)
            session.flush()
            return _feedback(row)
