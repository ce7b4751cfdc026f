"""The assistant as one object: model, index, retrieval and answering loaded once, asked many times.

The CLI, the web app and the evaluator all call ``Assistant.ask``, so the answer measured is the
answer trainers get. Owns input checks (question length, filters) and overall timings.
"""

from __future__ import annotations

import time

from assistant.answering import make_answerer
from assistant.config import Settings
from assistant.embedding import Embedder
from assistant.index import LoadedIndex, load_index
from assistant.models import Answer, Passage
from assistant.retrieval import Filters, Searcher, check_question, facets, validate_filters


class Assistant:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, index: LoadedIndex | None = None):
        self.settings = settings
        self.embedder = embedder or Embedder(settings)
        self.index = index or load_index(settings, self.embedder.dimension)
        self.searcher = Searcher(self.index, self.embedder, settings)
        self.answerer = make_answerer("extractive", self.index, settings)

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
        text = check_question(question, self.settings)
        result = self.searcher.retrieve(text, filters, k, retriever, context)
        answer = self.answerer.answer(result)
        answer.timings_ms["total"] = (time.perf_counter() - start) * 1000
        return answer

    def search(
        self, query: str, filters: Filters | None = None, k: int | None = None, retriever: str | None = None
    ) -> list[Passage]:
        text = check_question(query, self.settings)
        return self.searcher.retrieve(text, filters, k, retriever).passages
