"""The "repeated" reason of the review queue: standalone questions grouped by similar words, kept in
``question_clusters`` across feeds, and the item a group raises when it is asked often enough.

A question joins the first group (in the order the groups were made) whose anchor, the terms of its
first question, it shares words with (``text.phrasing.similar_words``); else it starts a group. A
follow-up counts as the standalone question it was read as, or not at all when it was read with
context. A group asked ``REPEATED_AT_LEAST`` times raises one ``repeated`` item unless a curated
answer covers it: one of its turns was answered by a curated answer, or a phrasing of a curated
answer that is not retired is in similar words. Coverage is judged when a group that has reached
the count gets a new turn; once raised, a group raises nothing more.

Turns are counted once: the feed re-reads a window of answers below its cursor (a turn may commit
late), so the answers counted that are still inside the window are kept in ``clustered_answers``;
an answer found there is skipped, and the rows that fall below the window are deleted. Only the
groups a feed touches are written; all anchors are read, into an inverted index of their terms, only
when there are new questions to place. Nothing here commits: the feed's unit of work does.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from assistant.db.moderation_queue import add_item
from assistant.db.tables.curation import CuratedAnswerRow, PhrasingRow
from assistant.db.tables.queue_feed import ClusteredAnswerRow, QuestionClusterRow
from assistant.text.phrasing import SIMILAR_WORDS, phrasing_terms, similar_words

REPEATED_AT_LEAST = 3


@dataclass(frozen=True)
class AskedTurn:
    """One stored turn as the clusters see it."""

    answer_id: int
    question: str | None  # the standalone question: read_as, else the text when asked without context
    curated: bool  # answered by a curated answer


def standalone(text: str, context: str | None, read_as: str | None) -> str | None:
    """The question a turn counts as: its rewrite, itself when asked without context, else none."""
    return read_as or (text if context is None else None)


def anchor_text(terms: Iterable[str]) -> str:
    return " ".join(sorted(terms))


class _Anchors:
    """The groups' anchors in the order they were made, with an inverted index of their terms."""

    def __init__(self, rows: Iterable[tuple[int, str]]) -> None:
        self.ids: list[int | None] = []  # None: made by this feed, not stored yet
        self.anchors: list[frozenset[str]] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        for cluster_id, anchor in rows:
            self.add(cluster_id, frozenset(anchor.split()))

    def add(self, cluster_id: int | None, terms: frozenset[str]) -> int:
        place = len(self.anchors)
        self.ids.append(cluster_id)
        self.anchors.append(terms)
        for term in terms:
            self.postings[term].append(place)
        return place

    def first_similar(self, terms: frozenset[str]) -> int | None:
        """The first group in similar words. Jaccard >= t needs at least ceil(t * |terms|) shared terms,
        so a match holds one of any |terms| - that + 1 of them: only the rarest few are looked up."""
        shared = max(1, math.ceil(SIMILAR_WORDS * len(terms) - 1e-9))
        probe = sorted(terms, key=lambda term: len(self.postings.get(term, ())))[: len(terms) - shared + 1]
        candidates = sorted({place for term in probe for place in self.postings.get(term, ())})
        return next((place for place in candidates
                     if len(self.anchors[place] & terms) >= shared and similar_words(self.anchors[place], terms)), None)


def _place(session: Session, turns: list[tuple[AskedTurn, frozenset[str]]],
           keep_above: int) -> list[QuestionClusterRow]:
    """Each turn counted in its group; the groups changed."""
    anchors = _Anchors(session.execute(select(QuestionClusterRow.id, QuestionClusterRow.anchor)
                                       .order_by(QuestionClusterRow.id)))
    members: dict[int, list[AskedTurn]] = defaultdict(list)
    for turn, terms in turns:
        place = anchors.first_similar(terms)
        members[anchors.add(None, terms) if place is None else place].append(turn)
    stored = [anchors.ids[place] for place in members if anchors.ids[place] is not None]
    rows = {row.id: row for row in session.scalars(select(QuestionClusterRow).where(QuestionClusterRow.id.in_(stored)))}
    changed: list[tuple[QuestionClusterRow, list[AskedTurn]]] = []
    for place in sorted(members):  # new groups are added in the order they were made: their ids keep it
        row = rows.get(anchors.ids[place])  # type: ignore[arg-type]
        if row is None:
            row = QuestionClusterRow(anchor=anchor_text(anchors.anchors[place]), question=members[place][0].question,
                                     turns=0, last_answer_id=0, curated=False, raised=False)
            session.add(row)
        turned = members[place]
        row.turns += len(turned)
        row.last_answer_id = max(row.last_answer_id, *(t.answer_id for t in turned))
        row.curated = row.curated or any(t.curated for t in turned)
        changed.append((row, turned))
    session.flush()
    session.add_all(ClusteredAnswerRow(answer_id=t.answer_id, cluster_id=row.id)
                    for row, turned in changed for t in turned if t.answer_id > keep_above)
    return [row for row, _ in changed]


def _raise_items(session: Session, clusters: Iterable[QuestionClusterRow]) -> int:
    due = [c for c in clusters if c.turns >= REPEATED_AT_LEAST and not c.curated and not c.raised]
    if not due:
        return 0
    covered = [phrasing_terms(text) for text in session.scalars(
        select(PhrasingRow.text).join(CuratedAnswerRow).where(CuratedAnswerRow.status != "retired"))]
    added = 0
    for cluster in due:
        anchor = frozenset(cluster.anchor.split())
        if any(similar_words(anchor, terms) for terms in covered):
            continue
        digest = hashlib.sha256(cluster.anchor.encode()).hexdigest()[:32]
        added += add_item(session, f"repeated:{digest}", "repeated", question=cluster.question,
                          answer_id=cluster.last_answer_id, detail=f"asked {cluster.turns} times")
        cluster.raised = True
    return added


def count_questions(session: Session, turns: list[AskedTurn], read_above: int, keep_above: int) -> int:
    """Count the turns read (answer ids above ``read_above``) not counted yet, raise the "repeated"
    items they call for, and forget the counted answers at or below ``keep_above`` (the next window's
    floor); the number of items added."""
    counted = set(session.scalars(select(ClusteredAnswerRow.answer_id)
                                  .where(ClusteredAnswerRow.answer_id > read_above)))
    fresh = [(turn, terms) for turn in turns if turn.answer_id not in counted and turn.question
             and (terms := phrasing_terms(turn.question))]
    added = _raise_items(session, _place(session, fresh, keep_above)) if fresh else 0
    session.execute(delete(ClusteredAnswerRow).where(ClusteredAnswerRow.answer_id <= keep_above))
    return added
