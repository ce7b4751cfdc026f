"""Browsing the stories: filters with counts, search by meaning and by words, sorting and paging.

A ``StoryLibrary`` is built once per index build (``web.conversation.Chat.library``) and precomputes
everything a page needs: the stories, each filter value's story mask, the story of every chunk and
the two orders, so a request costs a few vector operations (plus one query embedding when it
searches). Filter values are checked with ``search.filters.validate_filters`` (the same spellings,
canonical modules and document titles, and the same ``QuestionError`` naming the valid values as the
chat's filters), the year against the years of the stories.

Search: a story's meaning score is the best cosine of its chunks with the query (the index's own
chunk vectors, through its FAISS index: the corpus is never embedded again), its word score the best
BM25 score of its chunks (the index's lexical index), scaled by the best story's. A story matches a
query when one of its chunks holds a query term or its meaning score reaches ``MEANING_FLOOR``; the
matches are ordered by ``DENSE_WEIGHT`` × meaning + the rest × words, or by country.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.config import Settings
from assistant.library.stories import build_stories
from assistant.models import Story
from assistant.search.embedding import Embedder
from assistant.search.filters import QuestionError, check_question, check_text, shown, validate_filters
from assistant.search.index import LoadedIndex
from assistant.search.rankers import DenseRanker

LIBRARY_KEYS: tuple[str, ...] = ("country", "region", "module", "topic", "document", "year")
Sort = Literal["relevance", "country"]
SORTS: tuple[str, ...] = ("relevance", "country")
MAX_LIMIT = 100
_MAX_CHECKED = 10_000  # filter spellings remembered as checked
# The mix of meaning and words: the retrieval settings' default fixed fusion weight (``dense_weight``).
DENSE_WEIGHT = 0.6
# all-MiniLM-L6-v2 cosines of a query with whole chunks are low: on the bundled corpus unrelated queries
# ("chocolate cake recipe", "football match results") peak at 0.11–0.19 over all stories, related ones
# ("a 5S success in a warehouse", "how did other countries cover the cost of training") at 0.27–0.47.
MEANING_FLOOR = 0.22


class UnknownStory(LookupError):
    """A story id that is not in the loaded index."""


@dataclass(frozen=True)
class StoryPage:
    """One page of browsing: how many stories match, this page of them, and the filter values with counts."""

    total: int
    items: list[Story]
    facets: dict[str, dict[str, int]]
    filters: dict[str, str]


# The Story field behind each filter key.
_FIELDS = {"country": "country", "region": "region", "module": "modules", "topic": "topics", "document": "doc_id",
           "year": "year"}


def story_values(story: Story, key: str) -> list[str]:
    """The values a story has for one filter key (several modules and topics; the year as text)."""
    value = getattr(story, _FIELDS[key])
    if isinstance(value, list):
        return value
    return [] if value is None else [str(value)]


class StoryLibrary:
    """The stories of one index build, browsed and searched."""

    def __init__(self, index: LoadedIndex, embedder: Embedder, settings: Settings | None = None) -> None:
        self.index = index
        self.embedder = embedder
        self.settings = settings
        self.stories = build_stories(index)
        self.by_id = {story.story_id: position for position, story in enumerate(self.stories)}
        count = len(self.stories)
        self.masks: dict[str, dict[str, np.ndarray]] = {key: {} for key in LIBRARY_KEYS}
        for position, story in enumerate(self.stories):
            for key in LIBRARY_KEYS:
                for value in story_values(story, key):
                    self.masks[key].setdefault(value, np.zeros(count, dtype=bool))[position] = True
        self.masks = {key: dict(sorted(values.items())) for key, values in self.masks.items()}
        self.story_of_chunk = np.full(len(index.chunks), -1, dtype=np.int64)
        for position, story in enumerate(self.stories):
            self.story_of_chunk[[index.chunk_rows[c] for c in story.chunk_ids]] = position
        self.by_country = np.array(
            sorted(range(count), key=lambda i: (self.stories[i].country or "~", self.stories[i].region, i)),
            dtype=np.int64,
        )
        self._checked: dict[tuple[str, str], str] = {}

    def __len__(self) -> int:
        return len(self.stories)

    def get(self, story_id: str) -> Story:
        position = self.by_id.get(story_id)
        if position is None:
            raise UnknownStory(f"no story with id '{shown(story_id)}' in the library")
        return self.stories[position]

    def validate(self, **raw: str | int | None) -> dict[str, str]:
        """The canonical value of each filter given (QuestionError naming the valid values when unknown)."""
        chosen: dict[str, str] = {}
        for key, value in raw.items():
            if key not in LIBRARY_KEYS:
                raise QuestionError(f"unknown filter '{shown(key)}'; filters are: {', '.join(LIBRARY_KEYS)}")
            if value is None or not str(value).strip():
                continue
            text = str(value).strip()
            if (key, text) not in self._checked:
                if len(self._checked) >= _MAX_CHECKED:  # spellings are the client's to vary: keep the memory bounded
                    self._checked.clear()
                self._checked[(key, text)] = self._canonical(key, text)
            chosen[key] = self._checked[(key, text)]
        return chosen

    def _canonical(self, key: str, value: str) -> str:
        if key != "year":
            canonical = getattr(validate_filters(self.index, **{key: value}), key)
            return str(canonical)
        check_text(value, "the year filter")
        if value not in self.masks["year"]:
            valid = ", ".join(self.masks["year"]) or "(none in this index)"
            raise QuestionError(f"unknown year '{shown(value)}'. Valid values: {valid}")
        return value

    def _mask(self, chosen: dict[str, str], leave_out: str | None = None) -> np.ndarray:
        mask = np.ones(len(self.stories), dtype=bool)
        for key, value in chosen.items():
            if key != leave_out:
                mask &= self.masks[key].get(value, np.zeros(len(self.stories), dtype=bool))
        return mask

    def facets(self, chosen: dict[str, str], within: np.ndarray | None = None) -> dict[str, dict[str, int]]:
        """Each filter value with the number of stories it would leave, the other filters applied."""
        base = np.ones(len(self.stories), dtype=bool) if within is None else within
        result = {}
        for key in LIBRARY_KEYS:
            others = self._mask(chosen, leave_out=key) & base
            result[key] = {value: int(np.count_nonzero(others & mask)) for value, mask in self.masks[key].items()}
        return result

    def relevance(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Every story's relevance to the query, and whether it matches it at all."""
        vector = self.embedder.encode_query(query)
        chunk_meaning = DenseRanker(self.index).similarities(vector)
        chunk_words = self.index.lexical.scores(query)
        inside = self.story_of_chunk >= 0
        meaning = np.full(len(self.stories), -1.0)
        words = np.zeros(len(self.stories))
        np.maximum.at(meaning, self.story_of_chunk[inside], chunk_meaning[inside])
        np.maximum.at(words, self.story_of_chunk[inside], chunk_words[inside])
        matches = (words > 0) | (meaning >= MEANING_FLOOR)
        scaled = words / words.max() if words.max() > 0 else words
        return DENSE_WEIGHT * meaning + (1 - DENSE_WEIGHT) * scaled, matches

    def _query(self, q: str | None) -> str | None:
        if q is None or not q.strip():
            return None
        return check_question(q, self.settings) if self.settings else check_text(q.strip(), "the search")

    def browse(
        self,
        country: str | None = None,
        region: str | None = None,
        module: str | None = None,
        topic: str | None = None,
        document: str | None = None,
        year: str | int | None = None,
        q: str | None = None,
        sort: Sort | None = None,
        offset: int = 0,
        limit: int = 20,
    ) -> StoryPage:
        """The stories matching the filters (and the query), sorted, one page of them, with facet counts.

        ``sort`` defaults to relevance when there is a query, else to the order of the documents."""
        if sort is not None and sort not in SORTS:
            raise QuestionError(f"unknown sort '{shown(sort)}'. Valid values: {', '.join(SORTS)}")
        if offset < 0 or not 1 <= limit <= MAX_LIMIT:
            raise QuestionError(f"offset must be 0 or more and limit between 1 and {MAX_LIMIT}")
        chosen = self.validate(
            country=country, region=region, module=module, topic=topic, document=document, year=year
        )
        query = self._query(q)
        matches = None
        order: Sequence[int] | np.ndarray = range(len(self.stories))
        if query is not None:
            scores, matches = self.relevance(query)
            if sort != "country":
                order = np.argsort(-scores, kind="stable")
        if sort == "country":
            order = self.by_country
        selected = self._mask(chosen) if matches is None else self._mask(chosen) & matches
        ranked = [int(i) for i in order if selected[i]]
        items = [self.stories[i] for i in ranked[offset : offset + limit]]
        return StoryPage(total=len(ranked), items=items, facets=self.facets(chosen, matches), filters=chosen)
