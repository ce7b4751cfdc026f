"""A large index scores only candidates: the same passages as scoring every chunk when the candidates
hold them, sentence scores for any row on demand, and finders that find the nearest vectors."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.qa.service import Assistant
from assistant.search import candidates
from assistant.search import index as index_module
from assistant.search.nearest import build_ivf, nearest_rows
from assistant.search.retrieval import Query

QUESTIONS = [
    "Who financed the suppliers in Peru?",
    "How did trainers in Africa market the training?",
    "What does the workplace cooperation module teach?",
]


@pytest.fixture
def as_large(monkeypatch):
    """Every index read as a large one: candidates instead of every chunk."""
    monkeypatch.setattr(index_module, "WHOLE_INDEX_CHUNKS", 0)
    monkeypatch.setattr(candidates, "WHOLE_INDEX_CHUNKS", 0)


def _ranked(assistant: Assistant, question: str) -> list[tuple[str, int]]:
    return [(p.chunk.chunk_id, p.rank) for p in assistant.searcher.retrieve(Query(question)).passages]


def test_candidates_holding_every_chunk_rank_as_the_whole_index(small_assistant, as_large):
    whole = {}
    with pytest.MonkeyPatch.context() as undo:
        undo.setattr(index_module, "WHOLE_INDEX_CHUNKS", 10**9)
        undo.setattr(candidates, "WHOLE_INDEX_CHUNKS", 10**9)
        assert small_assistant.index.scored_whole
        whole = {q: _ranked(small_assistant, q) for q in QUESTIONS}
    assert not small_assistant.index.scored_whole
    # The small index has fewer chunks than the exact dense finder returns: every chunk is a candidate.
    assert len(small_assistant.index.chunks) < candidates.DENSE_CANDIDATES
    for question in QUESTIONS:
        assert _ranked(small_assistant, question) == whole[question]


def test_sentence_scores_outside_the_candidates_are_computed_on_demand(small_assistant, as_large):
    index = small_assistant.index
    result = small_assistant.searcher.retrieve(Query(QUESTIONS[0]))
    scored = result.sentences.rows
    outside = np.setdiff1d(np.arange(len(index.sentences)), scored)[:5]
    rows = np.concatenate([scored[:5], outside])
    exact = index.sentence_vectors @ result.query_vector
    assert np.allclose(result.sentences.similarities_of(rows), exact[rows], atol=1e-5)
    assert np.allclose(result.sentence_similarities, exact, atol=1e-5)
    assert result.sentence_overlap.shape == (len(index.sentences),)
    assert np.allclose(result.sentences.overlaps_of(rows), result.sentence_overlap[rows])


def test_a_candidate_set_is_the_sentences_of_its_chunks(small_assistant):
    index = small_assistant.index
    chunk_rows = np.array([0, 3, 1])
    rows, owners = index.sentences_of_rows(chunk_rows)
    for position, chunk_row in enumerate(chunk_rows):
        expected = index.sentence_rows.get(index.chunks[chunk_row].chunk_id, [])
        assert rows[owners == position].tolist() == expected


def test_the_finder_returns_the_nearest_vectors():
    rng = np.random.default_rng(3)
    vectors = rng.standard_normal((3_000, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    finder = build_ivf(vectors)
    query = vectors[17] + 0.01 * rng.standard_normal(32).astype(np.float32)
    found = nearest_rows(finder, query / np.linalg.norm(query), 5)
    assert found[0] == 17
    assert len(found) == 5
