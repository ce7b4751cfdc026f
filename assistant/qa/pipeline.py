"""The answer pipeline: answer sources tried in order; the first that answers gives the answer.

An answer source reads a retrieval result and returns an ``Answer`` or None (it has nothing to say).
The chain is the curated source, when one is handed in from above (the curation service matches
published curated answers; ``qa`` never imports the database), then the extractive source, which
always answers (with quotes, or by abstaining). Sources are chosen by name, so evaluation can swap
them, as it swaps retrievers. A source handed in with a ``bind(index, embedder)`` is bound to each
index the chain is made for (a reloaded index gets its own). A curated answer carries the next
sources' answer (the documents' own) in ``more``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from assistant.config import Settings
from assistant.models import Answer
from assistant.qa.extractive import ExtractiveAnswerer
from assistant.search.embedding import Embedder
from assistant.search.index import LoadedIndex
from assistant.search.retrieval import RetrievalResult


class AnswerSource(Protocol):
    """Anything that may answer a retrieved question: ``answer`` returns None when it cannot."""

    name: str

    def answer(self, result: RetrievalResult) -> Answer | None: ...


def _bound(source: AnswerSource, index: LoadedIndex, embedder: Embedder) -> AnswerSource:
    bind = getattr(source, "bind", None)
    return source if bind is None else bind(index, embedder)


# The sources that can close the chain (they always answer), by name.
ANSWERERS: dict[str, Callable[[LoadedIndex, Settings, Embedder], AnswerSource]] = {"extractive": ExtractiveAnswerer}


def make_answer_chain(
    index: LoadedIndex,
    settings: Settings,
    embedder: Embedder,
    first: Sequence[AnswerSource] = (),
    answerer: str = "extractive",
) -> list[AnswerSource]:
    """The sources in the order they are tried: ``first`` (e.g. curated), then the named answerer."""
    if answerer not in ANSWERERS:
        raise ValueError(f"unknown answerer '{answerer}'; available: {', '.join(ANSWERERS)}")
    return [*(_bound(s, index, embedder) for s in first), ANSWERERS[answerer](index, settings, embedder)]


def answer_with(chain: Sequence[AnswerSource], result: RetrievalResult) -> Answer:
    """The answer of the first source in the chain that gives one (a curated one with the rest's in ``more``)."""
    for position, source in enumerate(chain):
        answer = source.answer(result)
        if answer is not None:
            if answer.origin == "curated" and answer.more is None and position + 1 < len(chain):
                answer.more = answer_with(chain[position + 1 :], result)
            return answer
    raise LookupError(f"no answer source answered (tried: {', '.join(s.name for s in chain)})")
