"""Composing an extractive answer from the chosen evidence: quotes with [n], citations, abstentions.

Owns the answer's text: a cross-country answer reads as stories (an opening line naming the
countries found, then one block per story: country, the story's headline, its quotes in document
order); any other answer groups its quotes by country or section. A lead-in sentence ("… the
following measures:") is followed by the items it announces. Parts of a question the documents do
not answer are named as not found. Every line but the headings is a quote with its citation.
"""

from __future__ import annotations

import time

from assistant.models import Answer, Passage
from assistant.qa.citations import make_citation
from assistant.qa.evidence import Candidate
from assistant.search.index import LoadedIndex
from assistant.search.retrieval import RetrievalResult

_LEAD_IN_ITEMS = 3


def _timings(result: RetrievalResult, start: float) -> dict[str, float]:
    timings = dict(result.timings_ms)
    timings["answer"] = (time.perf_counter() - start) * 1000
    return timings


def abstention(result: RetrievalResult, reason: str, start: float) -> Answer:
    lines = [f"**I could not find an answer in the SCORE documents.** {reason}"]
    if result.passages:
        lines += ["", "The closest passages are listed below; they may still help."]
    return Answer(
        question=result.question, text="\n".join(lines), abstained=True, abstain_reason=reason,
        passages=result.passages, filters=result.filters.active(), timings_ms=_timings(result, start),
    )


def headline(passage: Passage) -> str:
    """A story's headline: the heading right under its country, else the passage's own heading."""
    path, country = passage.chunk.heading_path, passage.chunk.country
    if country in path and path.index(country) + 1 < len(path):
        return path[path.index(country) + 1]
    return path[-1] if path else "General"


def _group_label(passage: Passage) -> str:
    chunk = passage.chunk
    if chunk.country:
        return chunk.country
    return chunk.heading_path[-1] if chunk.heading_path else "General"


class Composer:
    """Writes the answer text and its citations from chosen evidence sentences."""

    def __init__(self, index: LoadedIndex) -> None:
        self.index = index

    def _continuation(self, evidence: Candidate) -> list[str]:
        """The items a lead-in sentence announces, from the same chunk."""
        if not evidence.text.rstrip().endswith(":"):
            return []
        rows = self.index.sentence_rows.get(evidence.passage.chunk.chunk_id, [])
        return [self.index.sentences[row].text for row in rows if row > evidence.row][:_LEAD_IN_ITEMS]

    def compose(
        self, result: RetrievalResult, chosen: list[Candidate], start: float, stories: bool, missing: list[str]
    ) -> Answer:
        groups: dict[str, list[Candidate]] = {}
        for evidence in chosen:
            groups.setdefault(_group_label(evidence.passage), []).append(evidence)
        numbers: dict[str, int] = {}
        quotes: dict[str, list[str]] = {}
        passages: dict[str, Passage] = {}
        lines: list[str] = []
        if stories:
            countries = [label for label, items in groups.items() if items[0].passage.chunk.country]
            lines += [f"Stories from {len(countries)} {'country' if len(countries) == 1 else 'countries'}: "
                      f"{', '.join(countries)}", ""]
        for label, items in groups.items():
            if stories and items[0].passage.chunk.country:
                lines.append(f"**{label} — {headline(items[0].passage)}**")
            elif len(groups) > 1 or items[0].passage.chunk.country:
                lines.append(f"**{label}**")
            # Within a group, quote in document order so the story reads as written.
            for evidence in sorted(items, key=lambda e: (e.passage.chunk.ordinal, e.row)):
                chunk_id = evidence.passage.chunk.chunk_id
                if chunk_id not in numbers:
                    numbers[chunk_id] = len(numbers) + 1
                    passages[chunk_id] = evidence.passage
                chunk_quotes = quotes.setdefault(chunk_id, [])
                if evidence.text in chunk_quotes:
                    continue
                chunk_quotes.append(evidence.text)
                lines.append(f"- “{evidence.text}” [{numbers[chunk_id]}]")
                for item in self._continuation(evidence):
                    if item not in chunk_quotes:
                        chunk_quotes.append(item)
                        lines.append(f"  - “{item}” [{numbers[chunk_id]}]")
            lines.append("")
        for part in missing:
            lines.append(f"Not found in the documents: “{part}”")
        documents = self.index.documents
        citations = [make_citation(n, passages[key], quotes[key], documents) for key, n in numbers.items()]
        return Answer(
            question=result.question, text="\n".join(lines).strip(), abstained=False, citations=citations,
            passages=result.passages, filters=result.filters.active(), timings_ms=_timings(result, start),
        )
