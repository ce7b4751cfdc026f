"""The curation store's domain objects and errors: curated answers, their versions, phrasings,
suggested phrasings and changed sources, and the refusals the web layer maps to 4xx.

Plain pydantic models built from rows by ``curation_store``; nothing here opens a session. A quote
is a ``models.Excerpt`` (verbatim text, where it is, the hash of its passage). Whether an answer is
due for review is derived from its review-by date and the day asked, never stored.
"""

from __future__ import annotations

import difflib
from datetime import UTC, date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from assistant.models import Excerpt

CuratedStatus = Literal["draft", "published", "retired", "needs_review"]
PhrasingSource = Literal["original", "alternate", "accepted-suggestion"]
SuggestionStatus = Literal["pending", "accepted", "rejected"]
REVIEW_EVERY_DAYS = 180  # a curated answer's default review-by date: 180 days after it was written


class CurationError(ValueError):
    """Curation input that cannot be used (the message says why): a 422."""


class DuplicatePhrasing(CurationError):
    """A phrasing another published curated answer already has: a 409 naming that answer."""

    def __init__(self, phrasing: str, curated_id: int) -> None:
        super().__init__(f"the phrasing {phrasing!r} is already used by published curated answer {curated_id}")
        self.phrasing, self.curated_id = phrasing, curated_id


class CurationConflict(CurationError):
    """A change the answer's state does not allow (publishing a retired answer, quotes gone stale): a 409."""


class SecondReviewRequired(CurationError):
    """SCORE_REQUIRE_SECOND_REVIEW: the author of a change may not publish it: a 403."""


class GroundedQuote(Excerpt):
    """A quote checked verbatim in its passage, as a version stores it: the excerpt, plus the
    passage's section and whole text when quoted, so a later build that changes or removes the
    passage can show the diff against what replaced it in that section."""

    section_id: str
    passage_text: str


class Phrasing(BaseModel):
    id: int
    text: str
    source: PhrasingSource


class CuratedVersion(BaseModel):
    """One version of a curated answer's body: every edit adds one, none is overwritten."""

    version: int
    question: str
    quotes: list[Excerpt]
    note: str | None
    editor: str
    editor_id: int | None = None
    created_at: datetime


class SourceChange(BaseModel):
    """A quoted passage that a new index build changed or removed, with what replaced it (None: nothing)."""

    chunk_id: str
    old_text: str
    new_chunk_id: str | None
    new_text: str | None
    detected_at: datetime

    def diff(self) -> str:
        """A unified diff of the passage, old to new."""
        return unified_diff(self.old_text, self.new_text or "", "passage before", "passage now")


class CuratedRecord(BaseModel):
    """A curated answer with its current version, its phrasings and where it applies."""

    id: int
    status: CuratedStatus
    country: str | None
    region: str | None
    filters: dict[str, str] = Field(default_factory=dict)
    review_by: date
    author: str
    author_id: int | None
    reviewer: str | None  # who published it last
    reviewed_at: datetime | None
    version: int  # the current (latest) version
    published_version: int | None  # the version in service when published
    question: str
    quotes: list[Excerpt]
    note: str | None
    editor: str
    phrasings: list[Phrasing]
    created_at: datetime
    updated_at: datetime

    def due_for_review(self, today: date | None = None) -> bool:
        """Past its review-by date (a draft or a retired answer is never due)."""
        today = today or datetime.now(UTC).date()
        return self.status in ("published", "needs_review") and self.review_by < today

    @property
    def pending_changes(self) -> bool:
        """Published, with versions written since that no one has published yet."""
        return self.status == "published" and self.published_version != self.version


class CuratedHistory(BaseModel):
    record: CuratedRecord
    versions: list[CuratedVersion]  # oldest first
    source_changes: list[SourceChange]


class Suggestion(BaseModel):
    """A question suggested as a new phrasing of a curated answer, waiting for a moderator."""

    id: int
    curated_id: int
    question: str
    score: float
    status: SuggestionStatus
    created_at: datetime


def version_text(version: CuratedVersion) -> str:
    """A version as lines to compare: question, quotes with their passage, note."""
    lines = [f"Question: {version.question}"]
    lines += [f"Quote [{n}] ({q.chunk_id}): {q.text}" for n, q in enumerate(version.quotes, start=1)]
    lines.append(f"Moderator's note: {version.note or ''}")
    return "\n".join(lines)


def unified_diff(old: str, new: str, old_name: str, new_name: str) -> str:
    return "\n".join(difflib.unified_diff(old.splitlines(), new.splitlines(), old_name, new_name, lineterm=""))


def version_diff(old: CuratedVersion, new: CuratedVersion) -> str:
    """A unified diff between two versions of one curated answer."""
    return unified_diff(version_text(old), version_text(new), f"version {old.version}", f"version {new.version}")
