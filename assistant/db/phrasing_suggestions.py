"""Suggested phrasings: questions asked in similar words near a curated answer that did not match it,
kept for a moderator to accept (it becomes a phrasing) or reject.

The matcher records suggestions; nothing here changes how questions are matched, and accepting one
never loosens the match threshold: the accepted question simply becomes one more phrasing. A
question is suggested once per answer (pending or decided), never when it already is a phrasing.
Every decision is audited in its unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from assistant.db.audit import Actor, record
from assistant.db.curation_records import Suggestion
from assistant.db.curation_rows import answer_row, clean_phrasings, locked_in_status, utc
from assistant.db.curation_store import CurationStore
from assistant.db.engine import Database, UnknownRecord
from assistant.db.tables.curation import PhrasingRow, SuggestionRow


class UnknownSuggestion(UnknownRecord):
    """No suggested phrasing has this id."""


def _suggestion(row: SuggestionRow) -> Suggestion:
    return Suggestion(id=row.id, curated_id=row.curated_id, question=row.question, score=row.score,
                      status=row.status, created_at=utc(row.created_at))  # type: ignore[arg-type]


def _pending(session: Session, suggestion_id: int) -> SuggestionRow:
    missing = UnknownSuggestion(f"no suggested phrasing with id {suggestion_id}")
    return locked_in_status(session, SuggestionRow, suggestion_id, "pending", missing, "suggested phrasing")


class PhrasingSuggestions:
    """Suggested phrasings of curated answers in one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def suggest(self, curated_id: int, question: str, score: float) -> Suggestion | None:
        """Record a suggestion; None when this question is already a phrasing or was suggested before."""
        [(text, normal)] = clean_phrasings([question])
        with self.database.unit_of_work() as session:
            answer_row(session, curated_id)
            seen = session.scalar(select(SuggestionRow.id).where(SuggestionRow.curated_id == curated_id,
                                                                 SuggestionRow.normalised == normal))
            phrasing = session.scalar(select(PhrasingRow.id).where(PhrasingRow.curated_id == curated_id,
                                                                   PhrasingRow.normalised == normal))
            if seen is not None or phrasing is not None:
                return None
            row = SuggestionRow(curated_id=curated_id, question=text, normalised=normal, score=float(score),
                                status="pending", created_at=datetime.now(UTC))
            session.add(row)
            session.flush()
            return _suggestion(row)

    def pending(self, curated_id: int | None = None) -> list[Suggestion]:
        query = select(SuggestionRow).where(SuggestionRow.status == "pending").order_by(SuggestionRow.id)
        if curated_id is not None:
            query = query.where(SuggestionRow.curated_id == curated_id)
        with self.database.read() as session:
            return [_suggestion(row) for row in session.scalars(query)]

    def accept(self, actor: Actor, suggestion_id: int, store: CurationStore) -> Suggestion:
        """The suggested question becomes a phrasing of its answer (source ``accepted-suggestion``)."""
        with self.database.read() as session:
            found = session.execute(select(SuggestionRow.curated_id, SuggestionRow.question)
                                    .where(SuggestionRow.id == suggestion_id)).one_or_none()
        curated_id, question = found or (None, "")
        if curated_id is None:
            raise UnknownSuggestion(f"no suggested phrasing with id {suggestion_id}")
        # The phrasing first (it may be refused as another published answer's); then the decision.
        store.add_phrasing(actor, curated_id, question, source="accepted-suggestion")
        return self._decide(actor, suggestion_id, "accepted")

    def reject(self, actor: Actor, suggestion_id: int) -> Suggestion:
        return self._decide(actor, suggestion_id, "rejected")

    def _decide(self, actor: Actor, suggestion_id: int, status: str) -> Suggestion:
        with self.database.unit_of_work() as session:
            row = _pending(session, suggestion_id)
            row.status, row.decided_by, row.decided_at = status, actor.user_id, datetime.now(UTC)
            record(session, actor, f"suggestion.{status}", "suggested_phrasing", suggestion_id,
                   {"status": "pending"}, {"status": status, "curated_id": row.curated_id, "question": row.question})
            return _suggestion(row)
