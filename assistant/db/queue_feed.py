"""Feeding the review queue from what the chat stored and from the curated answers' dates.

What becomes an item (one per key, so feeding twice adds nothing):
- ``thumbs_down``: every thumbs-down, with its comment (one item per feedback);
- ``abstained``: every extracted answer that abstained;
- ``low_confidence``: an extracted answer that did not abstain but rests on thin evidence: no
  citation at all, or a single citation quoting a single sentence;
- ``repeated``: a question asked three or more times in similar words (``text.phrasing``: their
  stemmed term sets overlap by at least ``SIMILAR_WORDS``) that no curated answer covers (none has a
  phrasing in similar words, and none of those turns was answered by a curated answer). A follow-up
  counts as the standalone question it was asked as, or not at all when it was read with context;
- ``due_for_review``: a published (or waiting) curated answer past its review-by date.
An item's country is the question's country filter, else the country of its first citation.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from assistant.db.engine import Database
from assistant.db.moderation_queue import add_item
from assistant.db.tables.chat import AnswerRow, CitationRow, FeedbackRow, QuestionRow
from assistant.db.tables.curation import CuratedAnswerRow, PhrasingRow
from assistant.text.phrasing import phrasing_terms, similar_words

REPEATED_AT_LEAST = 3


@dataclass
class _Cluster:
    anchor: frozenset[str]
    question: str
    answer_ids: list[int] = field(default_factory=list)
    curated: bool = False


def _first_countries(session: Session, answer_ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(CitationRow.answer_id, CitationRow.country)
                           .where(CitationRow.answer_id.in_(answer_ids), CitationRow.n == 1))
    return {answer_id: country for answer_id, country in rows if country}


def _answer_items(session: Session) -> int:
    """Thumbs-down, abstained and low-confidence items; the number added."""
    added = 0
    citations = dict(session.execute(select(CitationRow.answer_id, func.count()).group_by(CitationRow.answer_id)).all())
    single_quotes = {answer_id: len(quotes or []) for answer_id, quotes in session.execute(
        select(CitationRow.answer_id, CitationRow.quotes)).all() if citations.get(answer_id) == 1}
    rows = session.execute(select(AnswerRow.id, AnswerRow.abstained, AnswerRow.origin, QuestionRow.text,
                                  QuestionRow.filters).join(QuestionRow)).all()
    countries = _first_countries(session, [r.id for r in rows])
    for row in rows:
        where = {"answer_id": row.id, "question": row.text,
                 "country": (row.filters or {}).get("country") or countries.get(row.id)}
        if row.origin == "curated":
            continue
        if row.abstained:
            added += add_item(session, f"abstained:answer:{row.id}", "abstained", **where)
        elif citations.get(row.id, 0) == 0 or (citations[row.id] == 1 and single_quotes.get(row.id, 0) <= 1):
            added += add_item(session, f"low_confidence:answer:{row.id}", "low_confidence", **where,
                              detail="no citation" if not citations.get(row.id) else "one quoted sentence")
    downs = session.execute(select(FeedbackRow.id, FeedbackRow.answer_id, FeedbackRow.comment, QuestionRow.text,
                                   QuestionRow.filters).join(AnswerRow, FeedbackRow.answer_id == AnswerRow.id)
                            .join(QuestionRow).where(FeedbackRow.rating == "down")).all()
    for down in downs:
        added += add_item(session, f"thumbs_down:feedback:{down.id}", "thumbs_down", answer_id=down.answer_id,
                          question=down.text, detail=down.comment,
                          country=(down.filters or {}).get("country") or countries.get(down.answer_id))
    return added


def _clusters(session: Session) -> list[_Cluster]:
    """Standalone questions grouped by similar words, greedily in the order they were asked."""
    rows = session.execute(select(QuestionRow.text, QuestionRow.read_as, QuestionRow.context, AnswerRow.id,
                                  AnswerRow.origin).join(AnswerRow).order_by(QuestionRow.asked_at, QuestionRow.id))
    clusters: list[_Cluster] = []
    for text, read_as, context, answer_id, origin in rows:
        question = read_as or (text if context is None else None)
        if question is None:
            continue
        terms = phrasing_terms(question)
        if not terms:
            continue
        cluster = next((c for c in clusters if similar_words(c.anchor, terms)), None)
        if cluster is None:
            cluster = _Cluster(terms, question)
            clusters.append(cluster)
        cluster.answer_ids.append(answer_id)
        cluster.curated = cluster.curated or origin == "curated"
    return clusters


def _repeated_items(session: Session) -> int:
    covered = [phrasing_terms(text) for text in session.scalars(
        select(PhrasingRow.text).join(CuratedAnswerRow).where(CuratedAnswerRow.status != "retired"))]
    added = 0
    for cluster in _clusters(session):
        if len(cluster.answer_ids) < REPEATED_AT_LEAST or cluster.curated:
            continue
        if any(similar_words(cluster.anchor, terms) for terms in covered):
            continue
        digest = hashlib.sha256(" ".join(sorted(cluster.anchor)).encode()).hexdigest()[:32]
        added += add_item(session, f"repeated:{digest}", "repeated", question=cluster.question,
                          answer_id=cluster.answer_ids[-1], detail=f"asked {len(cluster.answer_ids)} times")
    return added


def _due_items(session: Session, today: date) -> int:
    rows = session.execute(select(CuratedAnswerRow.id, CuratedAnswerRow.review_by, CuratedAnswerRow.country).where(
        CuratedAnswerRow.status.in_(("published", "needs_review")), CuratedAnswerRow.review_by < today))
    return sum(add_item(session, f"due_for_review:{curated_id}:{review_by.isoformat()}", "due_for_review",
                        curated_id=curated_id, country=country, detail=f"review by {review_by.isoformat()}")
               for curated_id, review_by, country in rows)


def feed_queue(database: Database, today: date | None = None) -> int:
    """Add the items the stored turns and curated answers call for; the number added."""
    today = today or datetime.now(UTC).date()
    with database.unit_of_work() as session:
        return _answer_items(session) + _repeated_items(session) + _due_items(session, today)
