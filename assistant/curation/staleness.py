"""Staleness: after a new index build, curated answers whose quoted passages changed go out of service.

``check_sources`` compares every passage a draft, published or waiting curated answer quotes with
the given build: a passage whose ``chunk_id`` is gone or whose text hash differs is recorded with
its text then and the text of the chunk that replaced it (the chunk of the same section most like
the old passage; None when the section is gone), the answer is marked ``needs_review`` (not served
until a moderator publishes it again) and a "source changed" item joins the queue. Running it again
on the same build changes nothing more.
"""

from __future__ import annotations

import difflib
import logging
from dataclasses import dataclass, field

from assistant.curation.grounding import passage_sha256
from assistant.db.audit import Actor
from assistant.db.engine import Database
from assistant.db.source_changes import ChangedPassage, QuotedPassage, flag, quoted_answers
from assistant.models import Chunk
from assistant.search.index import LoadedIndex

logger = logging.getLogger(__name__)
INDEX_CHECK = Actor("index check")  # who flags answers when a new build is loaded


@dataclass
class StalenessReport:
    checked: int = 0  # answers whose passages were compared
    flagged: list[int] = field(default_factory=list)  # answers newly taken out of service or with new changes
    changed_passages: int = 0  # passages found changed or removed (already known ones included)

    def summary(self) -> str:
        return (f"{self.checked} curated answer(s) checked, {self.changed_passages} quoted passage(s) changed, "
                f"{len(self.flagged)} answer(s) newly flagged: {', '.join(map(str, self.flagged)) or 'none'}")


def replacement(index: LoadedIndex, old: QuotedPassage) -> Chunk | None:
    """The chunk now in the old passage's place: the same chunk id, else the chunk of its section most like it."""
    same = index.chunk(old.chunk_id)
    if same is not None:
        return same
    section = [c for c in index.chunks if c.section_id == old.section_id and c.doc_id == old.doc_id]
    if not section:
        return None
    return max(section, key=lambda c: difflib.SequenceMatcher(None, old.passage_text, c.text).ratio())


def changed_passages(index: LoadedIndex, passages: list[QuotedPassage]) -> list[ChangedPassage]:
    changes = []
    for passage in passages:
        chunk = index.chunk(passage.chunk_id)
        if chunk is not None and passage_sha256(chunk.text) == passage.passage_sha256:
            continue
        new = replacement(index, passage)
        if new is None:
            changes.append(ChangedPassage(passage, None, None))
        else:
            changes.append(ChangedPassage(passage, new.chunk_id, new.text))
    return changes


def check_sources(database: Database, index: LoadedIndex, actor: Actor = INDEX_CHECK) -> StalenessReport:
    """Compare every curated answer's quoted passages with ``index``; flag those that changed."""
    report = StalenessReport()
    for answer in quoted_answers(database):
        report.checked += 1
        changes = changed_passages(index, answer.passages)
        report.changed_passages += len(changes)
        if changes and flag(database, actor, answer.curated_id, changes):
            report.flagged.append(answer.curated_id)
    if report.flagged:
        logger.warning("index build %s: %s", index.path.name, report.summary())
    return report
