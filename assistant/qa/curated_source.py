"""The "curated" answer source: a moderator's published answer when a question means one of its phrasings.

Owns reading a retrieved question for matching (in its conversation: a follow-up is matched as the
standalone question it means, or not at all), keeping the matcher of the current set of published
answers (phrasings embedded once per set version, per loaded index), and answering with the curated
``Answer`` the caller's builder makes; the pipeline then puts the documents' own answer in ``.more``.

The published answers and how a curated ``Answer`` is built live above ``qa`` (the curation service
over the database), so both are handed in: a ``CuratedProvider`` (a version token that changes
whenever the set does, and the set) and a ``CuratedBuilder``. Near misses (a score in the band below
the threshold) go to ``on_near_miss`` for suggested phrasings; the threshold itself never moves.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from assistant.models import Answer, PublishedCurated
from assistant.qa.curated_match import CuratedMatch, CuratedMatcher, MatchQuestion, PhrasingTable, load_match_model
from assistant.qa.followups import is_follow_up, read_follow_up
from assistant.search.embedding import Embedder
from assistant.search.index import LoadedIndex
from assistant.search.retrieval import RetrievalResult, analyse_question

# (answer, index, matched phrasing, score) → the curated Answer; None when it cannot be served from this index.
CuratedBuilder = Callable[[PublishedCurated, LoadedIndex, str, float], Answer | None]
NearMissSink = Callable[[str, CuratedMatch], None]


class CuratedProvider(Protocol):
    """Where the published curated answers come from: ``version`` is cheap and asked at every question."""

    def version(self) -> str: ...

    def published(self) -> list[PublishedCurated]: ...


class StaticProvider:
    """A fixed set of published answers (benchmarks, tests, a command-line run)."""

    def __init__(self, records: Sequence[PublishedCurated]) -> None:
        self.records = list(records)
        self._version = ",".join(f"{r.id}.{r.version}" for r in self.records)

    def version(self) -> str:
        return self._version

    def published(self) -> list[PublishedCurated]:
        return list(self.records)


def match_question(result: RetrievalResult, index: LoadedIndex, embedder: Embedder) -> MatchQuestion | None:
    """The question as the matcher reads it, or None when it cannot be matched on its own.

    A question asked alone reuses retrieval's vector, places and sentence cosines. A follow-up asked with an earlier
    question is read the way ``qa.followups`` reads it: rewritten ("and in Tunisia?" after a Peru
    question is the Peru question about Tunisia) and matched as such; a follow-up that cannot be
    rewritten ("how much did it cost?") is not matched, since a curated answer answers the earlier
    question, not this one. A standalone question sent with a context is matched alone.
    """
    filters = result.filters.active()
    if result.context is None:
        analysis = result.analysis
        return MatchQuestion(result.question, result.query_vector, frozenset(analysis.named_countries),
                             frozenset(analysis.regions), filters, result.sentence_similarities)
    text = result.question
    if is_follow_up(text):
        reading = read_follow_up(text, result.context)
        if reading.read_as is None:
            return None
        text = reading.read_as
    analysis = analyse_question(text, index)
    return MatchQuestion(text, embedder.encode_query(text), frozenset(analysis.named_countries),
                         frozenset(analysis.regions), filters)


class _MatcherCache:
    """The matcher of the provider's current set, rebuilt (once, under a lock) when its version changes."""

    def __init__(self, provider: CuratedProvider, index: LoadedIndex, embedder: Embedder) -> None:
        self.provider, self.index, self.embedder = provider, index, embedder
        self._lock = threading.Lock()
        self._version: str | None = None
        self._matcher: CuratedMatcher | None = None

    def matcher(self) -> CuratedMatcher:
        version = self.provider.version()
        matcher = self._matcher
        if matcher is not None and version == self._version:
            return matcher
        with self._lock:
            if self._matcher is None or version != self._version:
                table = PhrasingTable.embed(self.provider.published(), self.embedder, self.index)
                self._matcher, self._version = CuratedMatcher(table, load_match_model()), version
            return self._matcher


class CuratedSource:
    """Answers with a published curated answer when the question means one; else None (the next source)."""

    name = "curated"

    def __init__(
        self,
        provider: CuratedProvider,
        build: CuratedBuilder,
        on_near_miss: NearMissSink | None = None,
        index: LoadedIndex | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        self.provider, self.build, self.on_near_miss = provider, build, on_near_miss
        self.index, self.embedder = index, embedder
        self._cache = None if index is None or embedder is None else _MatcherCache(provider, index, embedder)

    def bind(self, index: LoadedIndex, embedder: Embedder) -> CuratedSource:
        """This source over one loaded index (the pipeline binds it to each index an Assistant loads)."""
        return CuratedSource(self.provider, self.build, self.on_near_miss, index, embedder)

    def warm(self) -> None:
        """Embed the current set's phrasings now rather than at the first question."""
        if self._cache is not None:
            self._cache.matcher()

    def answer(self, result: RetrievalResult) -> Answer | None:
        if self._cache is None or self.index is None or self.embedder is None:
            raise RuntimeError("a CuratedSource answers once bound to an index (Assistant(first=[source]) does it)")
        start = time.perf_counter()
        question = match_question(result, self.index, self.embedder)
        if question is None:
            return None
        outcome = self._cache.matcher().match(question)
        if outcome.near_miss is not None and self.on_near_miss is not None:
            self.on_near_miss(question.text, outcome.near_miss)
        if outcome.match is None:
            return None
        found = outcome.match
        answer = self.build(found.record, self.index, found.phrasing, found.score)
        if answer is None:
            return None
        answer.question = result.question
        answer.timings_ms = {**result.timings_ms, **answer.timings_ms,
                             "curated_match": (time.perf_counter() - start) * 1000}
        return answer
