"""Curated answers whose cited passages a new index build changed: what they quote, and flagging them.

``quoted_answers`` hands the staleness check (``assistant.curation.staleness``) every quote of every
draft, published or waiting answer (the current version's and the published version's). ``flag``
records the passages that changed, moves the answer to ``needs_review`` (out of service until a
moderator publishes it again), and adds one "source changed" queue item per answer and version,
all in one unit of work with its audit entry. Flagging the same change again adds nothing, so the
check can run after every build.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from assistant.db.audit import Actor, record
from assistant.db.curation_rows import answer_row
from assistant.db.engine import Database
from assistant.db.moderation_queue import add_item
from assistant.db.tables.curation import CuratedAnswerRow, CuratedVersionRow, SourceChangeRow

CHECKED_STATUSES = ("draft", "published", "needs_review")


@dataclass(frozen=True)
class QuotedPassage:
    """A passage one answer quotes, as it was when quoted."""

    chunk_id: str
    passage_sha256: str
    section_id: str | None
    doc_id: str
    passage_text: str  # the whole passage when quoted (the quote itself for quotes stored without it)


@dataclass(frozen=True)
class QuotedAnswer:
    curated_id: int
    status: str
    passages: list[QuotedPassage]


@dataclass(frozen=True)
class ChangedPassage:
    """A quoted passage that is gone or different now, and the text that replaced it (None: nothing)."""

    old: QuotedPassage
    new_chunk_id: str | None
    new_text: str | None


def _passage(quote: dict[str, Any]) -> QuotedPassage:
    return QuotedPassage(chunk_id=quote["chunk_id"], passage_sha256=quote["passage_sha256"],
                         section_id=quote.get("section_id"), doc_id=quote["doc_id"],
                         passage_text=quote.get("passage_text") or quote["text"])


def quoted_answers(database: Database) -> list[QuotedAnswer]:
    """Every answer that is or may be served, with the distinct passages its versions in play quote."""
    with database.read() as session:
        rows = list(session.scalars(select(CuratedAnswerRow).where(CuratedAnswerRow.status.in_(CHECKED_STATUSES))
                                    .order_by(CuratedAnswerRow.id)))
        found = []
        for row in rows:
            numbers = {row.current_version, row.published_version or row.current_version}
            versions = session.scalars(select(CuratedVersionRow.quotes).where(
                CuratedVersionRow.curated_id == row.id, CuratedVersionRow.version.in_(numbers)))
            passages: dict[tuple[str, str], QuotedPassage] = {}
            for quotes in versions:
                for quote in quotes:
                    passage = _passage(quote)
                    passages.setdefault((passage.chunk_id, passage.passage_sha256), passage)
            found.append(QuotedAnswer(row.id, row.status, list(passages.values())))
        return found


def flag(database: Database, actor: Actor, curated_id: int, changes: list[ChangedPassage]) -> bool:
    """Record the changed passages of an answer and take it out of service; True when anything was new."""
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        row = answer_row(session, curated_id, lock=True)
        known = {(c.chunk_id, c.old_sha256) for c in session.scalars(
            select(SourceChangeRow).where(SourceChangeRow.curated_id == curated_id))}
        fresh = [c for c in changes if (c.old.chunk_id, c.old.passage_sha256) not in known]
        for change in fresh:
            session.add(SourceChangeRow(curated_id=curated_id, chunk_id=change.old.chunk_id,
                                        old_sha256=change.old.passage_sha256, old_text=change.old.passage_text,
                                        new_chunk_id=change.new_chunk_id, new_text=change.new_text, detected_at=now))
        before = row.status
        if row.status in ("draft", "published"):
            row.status, row.updated_at = "needs_review", now
        version = row.published_version or row.current_version
        added = add_item(session, f"source_changed:{curated_id}:{version}", "source_changed", curated_id=curated_id,
                         country=row.country, detail=f"{len(changes)} quoted passage(s) changed or removed")
        if not fresh and before == row.status and not added:
            return False
        record(session, actor, "curated.source_changed", "curated_answer", curated_id, {"status": before},
               {"status": row.status, "passages": [c.old.chunk_id for c in changes]})
        return True
