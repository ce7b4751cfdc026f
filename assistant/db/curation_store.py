"""The curated answers' repository: create, read, edit (a new version each time), publish, retire,
phrasings, history and diffs.

The web layer, the CLI and the curation service go through it and get domain objects back
(``CuratedRecord``, ``CuratedHistory``, ``PublishedCurated``), never rows. Every change writes its
audit entry in the same unit of work. Quotes arrive already grounded (``assistant.curation.grounding``
checks them against the index); this module knows no index, HTTP or HTML.

Rules kept here: a phrasing belongs to one published answer only (``DuplicatePhrasing``, checked on
every write and again on publishing); an edit never overwrites a version, and a published answer
keeps serving the version a moderator published until the new one is published too; with
``require_second_review`` the editor of any version being published may not publish it (nor may
the author publish a first version). Publishing an answer whose review-by date has passed moves
that date 180 days on from the day of publishing: publishing is the review.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from assistant.config import Settings
from assistant.db.audit import Actor, record
from assistant.db.curation_records import (
    REVIEW_EVERY_DAYS,
    CuratedHistory,
    CuratedRecord,
    CuratedStatus,
    CurationConflict,
    CurationError,
    GroundedQuote,
    SecondReviewRequired,
    SourceChange,
    version_diff,
)
from assistant.db.curation_rows import (
    answer_row,
    clean_phrasings,
    published,
    records,
    refuse_published_duplicates,
    snapshot,
    utc,
    version_of,
    version_row,
)
from assistant.db.curation_rows import record as read_record
from assistant.db.engine import Database
from assistant.db.moderation_queue import close_item, close_review_items
from assistant.db.tables.curation import CuratedAnswerRow, CuratedVersionRow, PhrasingRow, SourceChangeRow
from assistant.models import PublishedCurated

CREATE_STATUSES = ("draft", "published")
MAX_NOTE_CHARS = 5000
_UNSET: Any = object()


@dataclass(frozen=True)
class Changes:
    """What a PATCH changes; a field left UNSET keeps its value."""

    question: str | None = None
    quotes: list[GroundedQuote] | None = None
    note: str | None = _UNSET
    phrasings: list[str] | None = None  # the alternates (the question is always the first phrasing)
    country: str | None = _UNSET
    region: str | None = _UNSET
    filters: dict[str, str] | None = None
    review_by: date | None = None

    def body_changed(self) -> bool:
        return self.question is not None or self.quotes is not None or self.note is not _UNSET


def _today() -> date:
    return datetime.now(UTC).date()


def _clean_question(question: str) -> str:
    text = " ".join(question.split())
    if not text:
        raise CurationError("the question is empty")
    return text


def _clean_note(note: str | None) -> str | None:
    text = (note or "").strip() or None
    if text is not None and len(text) > MAX_NOTE_CHARS:
        raise CurationError(f"the moderator's note is over {MAX_NOTE_CHARS} characters")
    return text


def _check_quotes(quotes: Sequence[GroundedQuote]) -> list[dict[str, Any]]:
    if not quotes:
        raise CurationError("a curated answer needs at least one quote from the documents")
    return [q.model_dump(mode="json") for q in quotes]


def _same_actor(actor: Actor, user_id: int | None, name: str) -> bool:
    return (actor.user_id is not None and actor.user_id == user_id) or (user_id is None and actor.name == name)


class CurationStore:
    """Curated answers in one database; thread-safe (one short session per call)."""

    def __init__(self, database: Database, require_second_review: bool = False) -> None:
        self.database = database
        self.require_second_review = require_second_review

    @classmethod
    def open(cls, settings: Settings, migrate: bool = True) -> CurationStore:
        return cls(Database.from_settings(settings, migrate), settings.web.require_second_review)

    # --- reading ---------------------------------------------------------------------------------

    def get(self, curated_id: int) -> CuratedRecord:
        with self.database.read() as session:
            return read_record(session, answer_row(session, curated_id))

    def list(self, status: CuratedStatus | None = None, country: str | None = None) -> list[CuratedRecord]:
        query = select(CuratedAnswerRow).order_by(CuratedAnswerRow.id)
        if status is not None:
            query = query.where(CuratedAnswerRow.status == status)
        if country is not None:
            query = query.where(CuratedAnswerRow.country == country)
        with self.database.read() as session:
            return records(session, list(session.scalars(query)))

    def published_for_matching(self) -> list[PublishedCurated]:
        """Every answer in service: published, in its published version; never one waiting for review."""
        with self.database.read() as session:
            return published(session)

    def history(self, curated_id: int) -> CuratedHistory:
        with self.database.read() as session:
            row = answer_row(session, curated_id)
            versions = session.scalars(select(CuratedVersionRow).where(CuratedVersionRow.curated_id == curated_id)
                                       .order_by(CuratedVersionRow.version))
            changes = session.scalars(select(SourceChangeRow).where(SourceChangeRow.curated_id == curated_id)
                                      .order_by(SourceChangeRow.id))
            return CuratedHistory(
                record=read_record(session, row),
                versions=[version_of(v) for v in versions],
                source_changes=[SourceChange(chunk_id=c.chunk_id, old_text=c.old_text, new_chunk_id=c.new_chunk_id,
                                             new_text=c.new_text, detected_at=utc(c.detected_at)) for c in changes],
            )

    def diff(self, curated_id: int, old: int, new: int) -> str:
        """A unified diff between two versions of a curated answer."""
        with self.database.read() as session:
            return version_diff(version_of(version_row(session, curated_id, old)),
                                version_of(version_row(session, curated_id, new)))

    # --- writing ---------------------------------------------------------------------------------

    def create(
        self, actor: Actor, question: str, quotes: Sequence[GroundedQuote], phrasings: Sequence[str] = (),
        note: str | None = None, country: str | None = None, region: str | None = None,
        filters: dict[str, str] | None = None, status: str = "draft", review_by: date | None = None,
        from_item: int | None = None,
    ) -> CuratedRecord:
        """A new curated answer at version 1, a draft or published at once; ``from_item``: the queue
        item it answers, marked done in the same unit of work."""
        if status not in CREATE_STATUSES:
            raise CurationError(f"a new curated answer is 'draft' or 'published', not {status!r}")
        text, stored_quotes, cleaned = _clean_question(question), _check_quotes(quotes), _clean_note(note)
        forms = clean_phrasings([text, *phrasings])
        if status == "published" and self.require_second_review:
            raise SecondReviewRequired("a second reviewer must publish a new answer: save it as a draft")
        now = datetime.now(UTC)
        with self.database.unit_of_work() as session:
            refuse_published_duplicates(session, [n for _, n in forms], None)
            row = CuratedAnswerRow(
                status=status, country=country, region=region, filters=filters or {},
                review_by=review_by or now.date() + timedelta(days=REVIEW_EVERY_DAYS),
                created_by=actor.user_id, created_by_name=actor.name, current_version=1,
                published_version=1 if status == "published" else None, created_at=now, updated_at=now,
                reviewed_by=actor.user_id if status == "published" else None,
                reviewed_by_name=actor.name if status == "published" else None,
                reviewed_at=now if status == "published" else None,
            )
            session.add(row)
            session.flush()
            session.add(CuratedVersionRow(curated_id=row.id, version=1, question=text, quotes=stored_quotes,
                                          note=cleaned, editor_id=actor.user_id, editor=actor.name, created_at=now))
            for n, (phrasing, normal) in enumerate(forms):
                session.add(PhrasingRow(curated_id=row.id, text=phrasing, normalised=normal,
                                        source="original" if n == 0 else "alternate"))
            item = read_record(session, row)
            record(session, actor, f"curated.{'published' if status == 'published' else 'created'}",
                   "curated_answer", row.id, None, snapshot(item))
            if from_item is not None:
                close_item(session, actor, from_item, f"curated answer {row.id} written")
            return item

    def update(self, actor: Actor, curated_id: int, changes: Changes) -> CuratedRecord:
        """Apply a PATCH: a new version when the question, quotes or note change; phrasings, place,
        filters and review-by date in place. Everything is audited, before and after."""
        with self.database.unit_of_work() as session:
            row = answer_row(session, curated_id, lock=True)
            if row.status == "retired":
                raise CurationConflict(f"curated answer {curated_id} is retired: write a new one instead")
            before = read_record(session, row)
            now = datetime.now(UTC)
            if changes.body_changed():
                question = _clean_question(changes.question) if changes.question is not None else before.question
                current = version_row(session, row.id, row.current_version)
                quotes = _check_quotes(changes.quotes) if changes.quotes is not None else list(current.quotes)
                note = _clean_note(changes.note) if changes.note is not _UNSET else before.note
                row.current_version += 1
                session.add(CuratedVersionRow(curated_id=row.id, version=row.current_version, question=question,
                                              quotes=quotes, note=note, editor_id=actor.user_id, editor=actor.name,
                                              created_at=now))
                if changes.question is not None:
                    self._set_phrasings(session, row.id, [question, *[p.text for p in before.phrasings[1:]]])
            if changes.phrasings is not None:
                original = changes.question or before.question
                self._set_phrasings(session, row.id, [original, *changes.phrasings])
            if changes.country is not _UNSET:
                row.country = changes.country
            if changes.region is not _UNSET:
                row.region = changes.region
            if changes.filters is not None:
                row.filters = changes.filters
            if changes.review_by is not None:
                row.review_by = changes.review_by
            row.updated_at = now
            after = read_record(session, row)
            record(session, actor, "curated.edited", "curated_answer", row.id, snapshot(before), snapshot(after))
            return after

    def _set_phrasings(self, session: Any, curated_id: int, texts: Sequence[str]) -> None:
        """Replace the answer's phrasings: the first is the original question, the rest alternates
        (an accepted suggestion keeps its source while it stays)."""
        forms = clean_phrasings(texts)
        refuse_published_duplicates(session, [n for _, n in forms], curated_id)
        rows = session.scalars(select(PhrasingRow).where(PhrasingRow.curated_id == curated_id))
        old = {p.normalised: p for p in rows}
        for n, (text, normal) in enumerate(forms):
            source = "original" if n == 0 else "alternate"
            kept = old.pop(normal, None)
            if kept is None:
                session.add(PhrasingRow(curated_id=curated_id, text=text, normalised=normal, source=source))
            elif kept.source != "accepted-suggestion" or n == 0:
                kept.text, kept.source = text, source
        for gone in old.values():
            session.delete(gone)
        session.flush()

    def add_phrasing(self, actor: Actor, curated_id: int, text: str, source: str = "alternate",
                     from_item: int | None = None) -> CuratedRecord:
        """One more phrasing of an answer; ``from_item``: the queue item whose question it is, marked done."""
        [(phrasing, normal)] = clean_phrasings([text])
        with self.database.unit_of_work() as session:
            row = answer_row(session, curated_id, lock=True)
            before = read_record(session, row)
            refuse_published_duplicates(session, [normal], curated_id)
            if all(p.text != phrasing for p in before.phrasings):
                exists = session.scalar(select(PhrasingRow.id).where(PhrasingRow.curated_id == curated_id,
                                                                     PhrasingRow.normalised == normal))
                if exists is None:
                    session.add(PhrasingRow(curated_id=curated_id, text=phrasing, normalised=normal, source=source))
            row.updated_at = datetime.now(UTC)
            after = read_record(session, row)
            record(session, actor, "curated.phrasing_added", "curated_answer", curated_id,
                   {"phrasings": [p.text for p in before.phrasings]}, {"phrasings": [p.text for p in after.phrasings]})
            if from_item is not None:
                close_item(session, actor, from_item, f"attached to curated answer {curated_id}")
            return after

    def remove_phrasing(self, actor: Actor, curated_id: int, phrasing_id: int) -> CuratedRecord:
        with self.database.unit_of_work() as session:
            row = answer_row(session, curated_id, lock=True)
            phrasing = session.get(PhrasingRow, phrasing_id)
            if phrasing is None or phrasing.curated_id != curated_id:
                raise CurationError(f"curated answer {curated_id} has no phrasing {phrasing_id}")
            if phrasing.source == "original":
                raise CurationError("the original question stays a phrasing: edit the question instead")
            record(session, actor, "curated.phrasing_removed", "curated_answer", curated_id,
                   {"phrasing": phrasing.text}, None)
            session.delete(phrasing)
            row.updated_at = datetime.now(UTC)
            return read_record(session, row)

    def publish(self, actor: Actor, curated_id: int) -> CuratedRecord:
        """Put the current version in service (from draft, published with new versions, or needs_review)."""
        with self.database.unit_of_work() as session:
            row = answer_row(session, curated_id, lock=True)
            if row.status == "retired":
                raise CurationConflict(f"curated answer {curated_id} is retired and cannot be published again")
            if row.status == "published" and row.published_version == row.current_version:
                raise CurationConflict(
                    f"curated answer {curated_id} is already published at version {row.current_version}")
            before = read_record(session, row)
            if self.require_second_review:
                self._refuse_own_changes(session, actor, row)
            refuse_published_duplicates(session, [p for p in _normals(before)], curated_id)
            now = datetime.now(UTC)
            row.status, row.published_version = "published", row.current_version
            row.reviewed_by, row.reviewed_by_name, row.reviewed_at, row.updated_at = actor.user_id, actor.name, now, now
            if row.review_by < now.date():
                row.review_by = now.date() + timedelta(days=REVIEW_EVERY_DAYS)
            after = read_record(session, row)
            record(session, actor, "curated.published", "curated_answer", curated_id, snapshot(before), snapshot(after))
            close_review_items(session, actor, curated_id)
            return after

    def _refuse_own_changes(self, session: Any, actor: Actor, row: CuratedAnswerRow) -> None:
        unpublished = session.scalars(select(CuratedVersionRow).where(
            CuratedVersionRow.curated_id == row.id, CuratedVersionRow.version > (row.published_version or 0)))
        authors = [(v.editor_id, v.editor) for v in unpublished]
        if row.published_version is None:
            authors.append((row.created_by, row.created_by_name))
        if any(_same_actor(actor, user_id, name) for user_id, name in authors):
            raise SecondReviewRequired(
                f"curated answer {row.id} has changes of yours: another moderator or admin must publish it")

    def retire(self, actor: Actor, curated_id: int) -> CuratedRecord:
        with self.database.unit_of_work() as session:
            row = answer_row(session, curated_id, lock=True)
            if row.status == "retired":
                raise CurationConflict(f"curated answer {curated_id} is already retired")
            before = read_record(session, row)
            row.status, row.updated_at = "retired", datetime.now(UTC)
            after = read_record(session, row)
            record(session, actor, "curated.retired", "curated_answer", curated_id, snapshot(before), snapshot(after))
            close_review_items(session, actor, curated_id)
            return after


def _normals(item: CuratedRecord) -> list[str]:
    return [n for _, n in clean_phrasings(p.text for p in item.phrasings)]
