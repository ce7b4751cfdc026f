"""Published curated answers as test-set items (the JSON Lines format of ``eval/testsets``).

Each phrasing of a published answer becomes a question; ``must_contain`` holds, for each quote, a
short span of it that as few passages of the index hold as possible (ideally only the quoted one),
so a retrieval that misses the quoted passage cannot pass by luck; ``expected_sections`` are the
quotes' sections (their country, else their last heading). The file loads with
``evaluation.testsets.load_test_set`` and ``score-assistant eval`` runs it like any other set.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from assistant.db.curation_store import CurationStore
from assistant.evaluation.support import contains
from assistant.models import Excerpt, PublishedCurated
from assistant.search.index import LoadedIndex

SPAN_WORDS = 6  # long enough to be distinctive, short enough to survive a re-chunking


def distinctive_span(quote: Excerpt, index: LoadedIndex, words: int = SPAN_WORDS) -> str:
    """The run of ``words`` words of the quote held by the fewest passages (earliest on a tie)."""
    tokens = quote.text.split()
    if len(tokens) <= words:
        return quote.text.strip()
    spans = [" ".join(tokens[i:i + words]) for i in range(len(tokens) - words + 1)]
    texts = [chunk.text for chunk in index.chunks]

    def holders(span: str) -> int:
        return sum(contains(text, span) for text in texts)

    return min(spans, key=holders)


def _section(quote: Excerpt, index: LoadedIndex) -> str | None:
    chunk = index.chunk(quote.chunk_id)
    if chunk is not None and chunk.country:
        return chunk.country
    return quote.heading_path[-1] if quote.heading_path else None


def testset_items(records: list[PublishedCurated], index: LoadedIndex) -> list[dict[str, Any]]:
    """One test-set item per phrasing of each published answer."""
    items = []
    for record in records:
        needles = list(dict.fromkeys(distinctive_span(q, index) for q in record.quotes))
        sections = list(dict.fromkeys(s for s in (_section(q, index) for q in record.quotes) if s))
        answer = " ".join(q.text for q in record.quotes)
        for n, phrasing in enumerate(record.phrasings, start=1):
            items.append({"id": f"curated-{record.id}-v{record.version}-{n}", "question": phrasing,
                          "type": "fact" if len(record.quotes) == 1 else "multi", "expected_sections": sections,
                          "must_contain": needles, "answer": answer})
    return items


def testset_jsonl(store: CurationStore, index: LoadedIndex) -> str:
    """The published curated answers as a JSON Lines test set (what evaluators download)."""
    return "".join(json.dumps(item, ensure_ascii=False) + "\n"
                   for item in testset_items(store.published_for_matching(), index))


def export_testset(store: CurationStore, index: LoadedIndex, path: Path) -> int:
    """Write the test set to ``path``; the number of items written."""
    text = testset_jsonl(store, index)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text.count("\n")
