"""What the moderators' pages show: queue items, the sentences a curated answer can quote, and diffs.

Owns the view objects the ``moderate_*`` templates read, so they hold no logic: a queue item with
its conversation, answer, citations and retrieved passages; a source passage split into the
sentences a moderator may tick (each keeps the chunk it comes from, so the quote keeps its
citation); a unified diff as lines marked added, removed or context (shown escaped, as text);
and how a ticked sentence travels in a form (``quote_value`` / ``parse_quote``). Rendering an answer
and wording a citation are ``web.views``' and ``qa.citations``' jobs, used here, not redone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from assistant.db.curation_records import CuratedRecord
from assistant.db.moderation_queue import QueueItemView
from assistant.models import Account, Chunk, Excerpt
from assistant.qa.citations import chunk_location, section_label
from assistant.qa.passages import passage_path
from assistant.search.index import LoadedIndex
from assistant.web.views import PassageItem, TurnView, document_title, passage_item, turn_view

QUEUE_REASONS = {
    "thumbs_down": "Thumbs down", "abstained": "Abstained", "low_confidence": "Low confidence",
    "repeated": "Asked repeatedly", "due_for_review": "Due for review", "source_changed": "Source changed",
}
QUOTE_SEPARATOR = "|"  # chunk ids are hex digests: the first separator ends the id


def quote_value(chunk_id: str, text: str) -> str:
    """How a ticked sentence is sent by the editor form: its passage and its exact text."""
    return f"{chunk_id}{QUOTE_SEPARATOR}{text}"


def parse_quote(value: str) -> tuple[str, str] | None:
    """(chunk_id, text) of a ticked sentence; None for a value that is not one."""
    chunk_id, separator, text = value.partition(QUOTE_SEPARATOR)
    return (chunk_id, text) if separator and chunk_id and text.strip() else None


@dataclass(frozen=True)
class SentenceChoice:
    value: str
    text: str
    checked: bool


@dataclass(frozen=True)
class SourcePassage:
    """A passage of the index with its sentences to tick, and where it is."""

    chunk_id: str
    title: str
    country: str | None
    section: str
    location: str
    href: str
    sentences: list[SentenceChoice]


def source_passage(index: LoadedIndex, chunk: Chunk, chosen: set[tuple[str, str]]) -> SourcePassage:
    sentences = [SentenceChoice(quote_value(chunk.chunk_id, s.text), s.text, (chunk.chunk_id, s.text) in chosen)
                 for s in index.sentences_of(chunk.chunk_id)]
    return SourcePassage(chunk.chunk_id, document_title(index, chunk.doc_id), chunk.country,
                         section_label(chunk.heading_path), chunk_location(chunk), passage_path(chunk.chunk_id),
                         sentences)


def source_passages(index: LoadedIndex, chunk_ids: Iterable[str], chosen: set[tuple[str, str]]) -> list[SourcePassage]:
    """Each passage of the current index build once, in the order first named; ids it lacks are skipped."""
    seen: dict[str, SourcePassage] = {}
    for chunk_id in chunk_ids:
        chunk = index.chunk(chunk_id)
        if chunk is not None and chunk_id not in seen:
            seen[chunk_id] = source_passage(index, chunk, chosen)
    return list(seen.values())


@dataclass(frozen=True)
class QuoteView:
    """A quote of a curated answer as the editor lists it, with its citation."""

    text: str
    title: str
    section: str
    location: str
    href: str
    in_index: bool  # False: the passage is not in the current build (changed or removed)


def quote_views(index: LoadedIndex, quotes: Sequence[Excerpt]) -> list[QuoteView]:
    views = []
    for quote in quotes:
        chunk = index.chunk(quote.chunk_id)
        views.append(QuoteView(
            quote.text, document_title(index, quote.doc_id), section_label(quote.heading_path),
            chunk_location(chunk) if chunk else "", passage_path(quote.chunk_id), chunk is not None,
        ))
    return views


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "hunk" or "context"
    text: str


def diff_lines(diff: str) -> list[DiffLine]:
    """A unified diff (difflib) as marked lines; the template shows their text escaped."""
    lines = []
    for line in diff.splitlines():
        if line.startswith(("+++", "---")):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "added"
        elif line.startswith("-"):
            kind = "removed"
        elif line.startswith("@@"):
            kind = "hunk"
        else:
            kind = "context"
        lines.append(DiffLine(kind, line))
    return lines


@dataclass(frozen=True)
class QueueEntry:
    """A queue item as the queue page shows it."""

    id: int
    kind: str
    reason: str
    status: str
    question: str
    detail: str | None
    country: str | None
    created_at: datetime
    assignee: str | None
    dismiss_reason: str | None
    curated_id: int | None
    earlier: list[str] = field(default_factory=list)
    turn: TurnView | None = None
    passages: list[PassageItem] = field(default_factory=list)
    source_diffs: list[list[DiffLine]] = field(default_factory=list)


def queue_entry(view: QueueItemView, index: LoadedIndex, owners: dict[int, str]) -> QueueEntry:
    item, turn = view.item, view.turn
    passages = [passage_item(p, index) for p in turn.answer.passages] if turn else []
    diffs = [diff_lines(change.diff()) for change in view.curated.source_changes] if view.curated else []
    question = item.question or (turn.question if turn else "")
    question = question or (view.curated.record.question if view.curated else "")
    return QueueEntry(
        id=item.id, kind=item.kind, reason=QUEUE_REASONS.get(item.kind, item.kind), status=item.status,
        question=question, detail=item.detail, country=item.country, created_at=item.created_at,
        assignee=owners.get(item.assigned_to) if item.assigned_to is not None else None,
        dismiss_reason=item.dismiss_reason, curated_id=item.curated_id,
        earlier=[t.question for t in view.earlier], turn=turn_view(turn, index) if turn else None, passages=passages,
        source_diffs=diffs,
    )


def owners(accounts: Sequence[Account]) -> list[Account]:
    """The accounts an item may be assigned to: active moderators and admins."""
    return [a for a in accounts if a.role in ("moderator", "admin") and not a.disabled]


@dataclass(frozen=True)
class CuratedSummary:
    """A curated answer as the list shows it."""

    id: int
    question: str
    status: str
    country: str | None
    version: int
    review_by: date
    due: bool
    source_changed: bool
    phrasings: int
    reviewer: str | None


def curated_summary(record: CuratedRecord) -> CuratedSummary:
    return CuratedSummary(record.id, record.question, record.status, record.country, record.version,
                          record.review_by, record.due_for_review(), record.status == "needs_review",
                          len(record.phrasings), record.reviewer)
