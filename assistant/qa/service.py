"""The assistant as one object: model, index, retrieval and the answer chain loaded once, asked many times.

The CLI, the web app and the evaluator all call ``Assistant.ask``, so the answer measured is the
answer trainers get. Owns input checks (question length, filters) and overall timings. Answer
sources that live above ``qa`` (curated answers, kept in the database) are handed in as ``first``.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from assistant.config import Settings
from assistant.models import Answer, Passage
from assistant.qa.pipeline import AnswerSource, answer_with, make_answer_chain
from assistant.search.embedding import Embedder
from assistant.search.filters import Filters, check_question, facets, validate_filters
from assistant.search.index import LoadedIndex, load_index
from assistant.search.retrieval import Query, Searcher


class Assistant:
    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        index: LoadedIndex | None = None,
        first: Sequence[AnswerSource] = (),
    ) -> None:
        self.settings = settings
        self.embedder = embedder or Embedder(settings)
        self.index = index or load_index(settings, self.embedder.dimension)
        self.searcher = Searcher(self.index, self.embedder, settings)
        self.first = tuple(first)  # kept so that an Assistant over a reloaded index keeps its sources
        self.chain = make_answer_chain(self.index, settings, self.embedder, self.first)

    def filters(self, **raw: str | None) -> Filters:
        return validate_filters(self.index, **raw)

    def facets(self) -> dict[str, dict[str, int]]:
        return facets(self.index)

    def ask(
        self,
        question: str,
        filters: Filters | None = None,
        k: int | None = None,
        retriever: str | None = None,
        context: str | None = None,
    ) -> Answer:
        """A grounded answer (or an abstention) for one question."""
        start = time.perf_counter()
        query = Query(check_question(question, self.settings), filters or Filters(), k, retriever, context)
        result = self.searcher.retrieve(query)
        answer = answer_with(self.chain, result)
        answer.timings_ms["total"] = (time.perf_counter() - start) * 1000
        return answer

    def search(
        self, query: str, filters: Filters | None = None, k: int | None = None, retriever: str | None = None
    ) -> list[Passage]:
        request = Query(check_question(query, self.settings), filters or Filters(), k, retriever)
        return self.searcher.retrieve(request).passages
