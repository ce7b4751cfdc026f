"""The shapes answers take outside the core: the JSON object of ``ask --json`` and the API, and text.

One place decides which fields an answer, a citation, a passage, a chat turn and a feedback carry,
so the CLI, the API, the evaluator's reports and exports agree. A citation's JSON is its model's
fields (``models.Citation``), nothing added or dropped.
"""

from __future__ import annotations

from typing import Any

from assistant.models import Answer, Citation, Feedback, Passage, Turn
from assistant.qa.citations import chunk_location, format_citation, section_label


def passage_dict(passage: Passage) -> dict[str, Any]:
    chunk = passage.chunk
    return {
        "rank": passage.rank,
        "chunk_id": chunk.chunk_id,
        "doc_id": chunk.doc_id,
        "score": round(passage.score, 6),
        "dense_score": None if passage.dense_score is None else round(passage.dense_score, 6),
        "lexical_score": None if passage.lexical_score is None else round(passage.lexical_score, 6),
        "country": chunk.country,
        "region": chunk.region,
        "modules": chunk.modules,
        "topics": chunk.topics,
        "heading_path": chunk.heading_path,
        "page": chunk.page_start,
        "page_end": chunk.page_end,
        "line_start": chunk.line_start,
        "line_end": chunk.line_end,
        "text": chunk.text,
    }


def citation_dict(citation: Citation) -> dict[str, Any]:
    return citation.model_dump(mode="json")


def answer_dict(answer: Answer) -> dict[str, Any]:
    """The answer object of ``ask --json`` and ``POST /api/ask``."""
    return {
        "question": answer.question,
        "answer": answer.text,
        "abstained": answer.abstained,
        "abstain_reason": answer.abstain_reason,
        "filters": answer.filters,
        "origin": answer.origin,
        "curated": None if answer.curated is None else answer.curated.model_dump(mode="json"),
        "citations": [citation_dict(c) for c in answer.citations],
        "passages": [passage_dict(p) for p in answer.passages],
        "timings_ms": {key: round(value, 2) for key, value in answer.timings_ms.items()},
        # After a curated answer: the documents' own extracted answer, in the same shape.
        "more": None if answer.more is None else answer_dict(answer.more),
    }


def feedback_dict(feedback: Feedback) -> dict[str, Any]:
    return feedback.model_dump(mode="json")


def turn_dict(turn: Turn) -> dict[str, Any]:
    """The answer object of ``ask --json`` plus where it sits in its conversation."""
    place = turn.model_dump(include={"conversation_id", "question_id", "answer_id", "position"})
    feedback = [feedback_dict(f) for f in turn.feedback]
    latency = round(turn.latency_ms, 2)
    return {**answer_dict(turn.answer), **place, "follow_up_of": turn.context, "read_as": turn.read_as,
            "latency_ms": latency, "feedback": feedback}


def answer_text(answer: Answer) -> str:
    """The answer for a terminal: the grounded text, then its sources or the closest passages."""
    lines = [answer.text, ""]
    if answer.filters:
        lines.insert(0, "Filters: " + ", ".join(f"{k}={v}" for k, v in answer.filters.items()) + "\n")
    if answer.citations:
        lines.append("Sources:")
        lines.extend(format_citation(c) for c in answer.citations)
    elif answer.passages:
        lines.append("Closest passages:")
        lines.extend(passage_line(p) for p in answer.passages)
    return "\n".join(lines).rstrip()


def passage_line(passage: Passage, width: int = 160) -> str:
    chunk = passage.chunk
    country = f" ({chunk.country})" if chunk.country else ""
    snippet = " ".join(chunk.text.split())
    if len(snippet) > width:
        snippet = snippet[: width - 1] + "…"
    return (
        f"{passage.rank}. [{passage.score:.3f}] {section_label(chunk.heading_path)}{country}, "
        f"{chunk_location(chunk)}\n   {snippet}"
    )
