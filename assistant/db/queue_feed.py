"""Feeding the review queue from what the chat stored and from the curated answers' dates.

What becomes an item (one per key, so feeding twice adds nothing):
- ``thumbs_down``: every thumbs-down, with its comment (one item per feedback);
- ``abstained``: every extracted answer that abstained;
- ``low_confidence``: an extracted answer that did not abstain but rests on thin evidence: no
  citation at all, or a single citation quoting a single sentence;
- ``repeated``: a question asked three or more times in similar words that no curated answer
  covers (``question_clusters`` owns the groups and that rule);
- ``due_for_review``: a published (or waiting) curated answer past its review-by date.
An item's country is the question's country filter, else the country of its first citation.

The feed is incremental. ``queue_feed_cursors`` holds the highest answer id and feedback id fed; a
feed reads the rows above each cursor minus ``RESCAN``: on PostgreSQL a transaction that took a lower
id can commit after one that took a higher id, so the last ``RESCAN`` ids below a cursor are read
again (items are keyed, and counted questions are remembered, so reading again adds nothing). A
row that commits more than ``RESCAN`` ids late is missed. A feed reads at most ``BATCH`` rows of
each stream beyond its window, so a long backlog (the whole history, on the first feed after the
upgrade) is fed over several feeds, each one quick. Each feed first locks the cursor rows
(``SELECT … FOR UPDATE``; on SQLite, which ignores it, a write that takes its one writer lock), so
two feeds run one after the other, and the cursors move in the same unit of work as the items:
a feed that fails leaves nothing half-fed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from assistant.db.engine import Database
from assistant.db.moderation_queue import add_item
from assistant.db.question_clusters import AskedTurn, count_questions, standalone
from assistant.db.tables.chat import AnswerRow, CitationRow, FeedbackRow, QuestionRow
from assistant.db.tables.curation import CuratedAnswerRow
from assistant.db.tables.queue_feed import CURSOR_NAMES, FeedCursorRow

# Ids below a cursor read again by every feed: far more than the turns that can be in flight at once
# (a few per worker), and cheap to read.
RESCAN = 200
# Rows read by one feed at most, so a page view stays quick; a longer backlog (the first feed after
# the upgrade reads the whole history) is fed over the next feeds.
BATCH = 1000


def _lock_cursors(session: Session) -> dict[str, int]:
    """The cursors, locked until the unit of work ends (a missing one starts at 0)."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite ignores FOR UPDATE: a write first takes the database's writer lock (waiting for a
        # feed under way to commit) before anything is read, so no feed works from stale reads.
        session.execute(update(FeedCursorRow).values(last_id=FeedCursorRow.last_id)
                        .execution_options(synchronize_session=False))
    cursors = dict(session.execute(select(FeedCursorRow.name, FeedCursorRow.last_id)
                                   .where(FeedCursorRow.name.in_(CURSOR_NAMES)).with_for_update()).all())
    for name in CURSOR_NAMES:
        if name not in cursors:
            session.add(FeedCursorRow(name=name, last_id=0))
            cursors[name] = 0
    return cursors


def _move_cursor(session: Session, name: str, last_id: int) -> None:
    session.execute(update(FeedCursorRow).where(FeedCursorRow.name == name, FeedCursorRow.last_id < last_id)
                    .values(last_id=last_id).execution_options(synchronize_session=False))


def _first_countries(session: Session, answer_ids: set[int]) -> dict[int, str]:
    rows = session.execute(select(CitationRow.answer_id, CitationRow.country)
                           .where(CitationRow.answer_id.in_(answer_ids), CitationRow.n == 1))
    return {answer_id: country for answer_id, country in rows if country}


def _evidence(session: Session, read_above: int, last: int) -> tuple[dict[int, int], dict[int, int], dict[int, str]]:
    """Of the answers in (``read_above``, ``last``]: citations per answer, quotes of the first citation,
    its country."""
    counts: dict[int, int] = {}
    quotes: dict[int, int] = {}
    countries: dict[int, str] = {}
    for answer_id, n, country, quoted in session.execute(
            select(CitationRow.answer_id, CitationRow.n, CitationRow.country, CitationRow.quotes)
            .where(CitationRow.answer_id > read_above, CitationRow.answer_id <= last)):
        counts[answer_id] = counts.get(answer_id, 0) + 1
        if n == 1:
            quotes[answer_id] = len(quoted or [])
            if country:
                countries[answer_id] = country
    return counts, quotes, countries


def _answer_items(session: Session, read_above: int, batch: int) -> tuple[int, int, list[AskedTurn], dict[int, str]]:
    """Abstained and low-confidence items of the first ``batch`` answers above ``read_above``: the
    number added, the highest answer id read, the turns for the clusters, the first citations' countries."""
    rows = session.execute(select(AnswerRow.id, AnswerRow.abstained, AnswerRow.origin, QuestionRow.text,
                                  QuestionRow.filters, QuestionRow.context, QuestionRow.read_as)
                           .join(QuestionRow).where(AnswerRow.id > read_above)
                           .order_by(AnswerRow.id).limit(batch)).all()
    counts, quotes, countries = _evidence(session, read_above, rows[-1].id) if rows else ({}, {}, {})
    added = 0
    for row in rows:
        if row.origin == "curated":
            continue
        where: dict[str, Any] = {"answer_id": row.id, "question": row.text,
                                 "country": (row.filters or {}).get("country") or countries.get(row.id)}
        if row.abstained:
            added += add_item(session, f"abstained:answer:{row.id}", "abstained", **where)
        elif counts.get(row.id, 0) == 0 or (counts[row.id] == 1 and quotes.get(row.id, 0) <= 1):
            added += add_item(session, f"low_confidence:answer:{row.id}", "low_confidence", **where,
                              detail="no citation" if not counts.get(row.id) else "one quoted sentence")
    turns = [AskedTurn(row.id, standalone(row.text, row.context, row.read_as), row.origin == "curated")
             for row in rows]
    return added, max((row.id for row in rows), default=0), turns, countries


def _thumbs_down_items(session: Session, read_above: int, batch: int, countries: dict[int, str]) -> tuple[int, int]:
    """One item per thumbs-down in the first ``batch`` feedback rows above ``read_above``: the number
    added and the highest feedback id read."""
    rows = session.execute(select(FeedbackRow.id, FeedbackRow.rating, FeedbackRow.answer_id, FeedbackRow.comment,
                                  QuestionRow.text, QuestionRow.filters)
                           .join(AnswerRow, FeedbackRow.answer_id == AnswerRow.id).join(QuestionRow)
                           .where(FeedbackRow.id > read_above).order_by(FeedbackRow.id).limit(batch)).all()
    downs = [row for row in rows if row.rating == "down"]
    missing = {row.answer_id for row in downs} - set(countries)
    countries = {**countries, **(_first_countries(session, missing) if missing else {})}
    added = sum(add_item(session, f"thumbs_down:feedback:{down.id}", "thumbs_down", answer_id=down.answer_id,
                         question=down.text, detail=down.comment,
                         country=(down.filters or {}).get("country") or countries.get(down.answer_id))
                for down in downs)
    return added, max((row.id for row in rows), default=0)


def _due_items(session: Session, today: date) -> int:
    rows = session.execute(select(CuratedAnswerRow.id, CuratedAnswerRow.review_by, CuratedAnswerRow.country).where(
        CuratedAnswerRow.status.in_(("published", "needs_review")), CuratedAnswerRow.review_by < today))
    return sum(add_item(session, f"due_for_review:{curated_id}:{review_by.isoformat()}", "due_for_review",
                        curated_id=curated_id, country=country, detail=f"review by {review_by.isoformat()}")
               for curated_id, review_by, country in rows)


def feed(session: Session, today: date, rescan: int = RESCAN, batch: int = BATCH) -> int:
    """Feed the queue in the caller's unit of work (which must commit or roll back as one); the
    number of items added. ``rescan``: how many ids below each cursor are read again; ``batch``: how
    many rows of each stream one feed reads beyond the window."""
    cursors = _lock_cursors(session)
    read_above = max(0, cursors["answers"] - rescan)
    added, last_answer, turns, countries = _answer_items(session, read_above, batch + rescan)
    last_answer = max(last_answer, cursors["answers"])
    added += count_questions(session, turns, read_above, keep_above=last_answer - rescan)
    downs, last_feedback = _thumbs_down_items(session, max(0, cursors["feedback"] - rescan), batch + rescan, countries)
    _move_cursor(session, "answers", last_answer)
    _move_cursor(session, "feedback", last_feedback)
    return added + downs + _due_items(session, today)


def feed_queue(database: Database, today: date | None = None, rescan: int = RESCAN, batch: int = BATCH) -> int:
    """Add the items the turns and feedback stored since the last feed, and the curated answers' dates,
    call for; the number added."""
    with database.unit_of_work() as session:
        return feed(session, today or datetime.now(UTC).date(), rescan, batch)
