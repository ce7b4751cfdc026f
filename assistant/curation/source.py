"""The curated answer source of a running app: the published answers read from the database, the
curated ``Answer`` built for a match, and near misses kept as suggested phrasings.

Owns the three pieces ``qa.curated_source.CuratedSource`` is handed (``qa`` never reads the
database): ``PublishedInDatabase`` (its version token is one small query, asked at most once a
``refresh_s`` per process, so every worker sees a publication within that time; a database that
cannot be read leaves the documents answering alone, never fails a question), ``build_curated``
(None when a quoted passage changed in this build: the question then gets the documents' answer),
and ``SuggestPhrasings`` (a near miss becomes a suggestion a moderator accepts or rejects; a database
that cannot be written is logged and never fails the trainer's question).
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from assistant.curation.answers import curated_answer, servable
from assistant.db.curation_records import CurationError
from assistant.db.curation_store import CurationStore
from assistant.db.engine import Database
from assistant.db.phrasing_suggestions import PhrasingSuggestions
from assistant.db.tables.curation import CuratedAnswerRow, PhrasingRow
from assistant.models import Answer, PublishedCurated
from assistant.qa.curated_match import CuratedMatch
from assistant.qa.curated_source import CuratedSource
from assistant.qa.service import Assistant
from assistant.search.index import LoadedIndex

logger = logging.getLogger(__name__)
REFRESH_S = 1.0  # how long a worker may answer from the set of published answers it read last


class PublishedInDatabase:
    """The published curated answers of one database, and a token that changes whenever they do."""

    def __init__(self, database: Database, refresh_s: float = REFRESH_S) -> None:
        self.database = database
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._checked = float("-inf")
        self._version = ""

    def version(self) -> str:
        if time.monotonic() - self._checked < self.refresh_s:
            return self._version
        with self._lock:
            if time.monotonic() - self._checked >= self.refresh_s:
                try:
                    self._version = self._read_version()
                except SQLAlchemyError as exc:  # the last set read stays in service meanwhile
                    logger.warning("cannot read which curated answers are published: %s", exc)
                self._checked = time.monotonic()
            return self._version

    def _read_version(self) -> str:
        """Published answers (how many, their versions, the latest change) and phrasings (how many, the newest)."""
        with self.database.read() as session:
            row = CuratedAnswerRow
            answers = session.execute(
                select(func.count(), func.sum(row.published_version), func.max(row.updated_at))
                .where(row.status == "published")
            ).one()
            phrasings = session.execute(select(func.count(), func.max(PhrasingRow.id))).one()
        return repr((tuple(answers), tuple(phrasings)))

    def published(self) -> list[PublishedCurated]:
        """The published answers; none while the database cannot be read (not yet migrated, down)."""
        try:
            return CurationStore(self.database).published_for_matching()
        except SQLAlchemyError as exc:
            logger.warning("cannot read the published curated answers, answering from the documents: %s", exc)
            return []


def build_curated(record: PublishedCurated, index: LoadedIndex, phrasing: str, score: float) -> Answer | None:
    """The curated answer for a match; None when this build changed a passage it quotes."""
    if not servable(record, index):
        return None
    return curated_answer(record, index, phrasing, score)


class SuggestPhrasings:
    """Keeps a question that nearly matched a published answer as a phrasing suggested for it."""

    def __init__(self, database: Database) -> None:
        self.suggestions = PhrasingSuggestions(database)

    def __call__(self, question: str, near_miss: CuratedMatch) -> None:
        try:
            self.suggestions.suggest(near_miss.record.id, question, near_miss.score)
        except (SQLAlchemyError, CurationError) as exc:
            logger.warning("could not keep %r as a suggested phrasing of curated answer %d: %s",
                           question, near_miss.record.id, exc)


def curated_source(database: Database) -> CuratedSource:
    """The curated answer source over one database (bound to each index build by the pipeline)."""
    return CuratedSource(PublishedInDatabase(database), build_curated, SuggestPhrasings(database))


def with_curated_answers(assistant: Assistant, database: Database) -> Assistant:
    """The assistant answering first from the published curated answers of ``database`` (the same
    assistant when it already does), its phrasings embedded now rather than at the first question."""
    if any(source.name == CuratedSource.name for source in assistant.first):
        return assistant
    answering = Assistant(assistant.settings, assistant.embedder, assistant.index,
                          first=[*assistant.first, curated_source(database)])
    for source in answering.chain:
        if isinstance(source, CuratedSource):
            source.warm()
    return answering
