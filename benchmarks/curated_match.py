"""Curated matching cost: warm `ask` median with 0 and with 500 published curated answers.

Run with `make bench`. The 500 answers are synthesised from the bundled index: one per chunk (cycling),
phrased three ways from its heading and its sentences, with the chunk's country and region, each
quoting its first sentence. Target: matching adds at most 2 ms to the median warm ask. Prints the
figures and writes benchmarks/results/curated_match.json.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

from measure import write_results

from assistant.config import Settings
from assistant.curation.grounding import passage_sha256
from assistant.evaluation.testsets import load_test_set
from assistant.models import Answer, CuratedInfo, Excerpt, PublishedCurated
from assistant.qa.curated_source import CuratedSource, StaticProvider
from assistant.qa.service import Assistant
from assistant.search.index import LoadedIndex

ROOT = Path(__file__).resolve().parent.parent
ANSWERS = 500
REPEATS = 3
TARGET_MS = 2.0


def synthetic_answers(index: LoadedIndex, count: int) -> list[PublishedCurated]:
    """``count`` published answers phrased from the index's headings and sentences."""
    records = []
    for number in range(count):
        chunk = index.chunks[number % len(index.chunks)]
        sentences = index.sentences_of(chunk.chunk_id) or []
        heading = chunk.heading_path[-1] if chunk.heading_path else "SCORE"
        first = sentences[0].text if sentences else chunk.text[:200]
        phrasings = [f"What happened in {heading}?", f"Tell me about {heading} ({number})", first[:200]]
        records.append(PublishedCurated(
            id=number + 1, version=1, question=phrasings[0], curator="Benchmark", reviewed_at=datetime.now(UTC),
            country=chunk.country, region=chunk.region, phrasings=phrasings[1:],
            quotes=[Excerpt(chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, heading_path=chunk.heading_path,
                            text=first, passage_sha256=passage_sha256(chunk.text))],
        ))
    return records


def build_answer(record: PublishedCurated, index: LoadedIndex, phrasing: str, score: float) -> Answer:
    info = CuratedInfo(id=record.id, version=record.version, curator=record.curator, reviewed_at=record.reviewed_at,
                       matched_phrasing=phrasing, score=score)
    return Answer(question=phrasing, text=record.question, abstained=False, origin="curated", curated=info)


def ask_medians(assistant: Assistant, questions: list[str]) -> tuple[float, int]:
    for question in questions[:5]:
        assistant.ask(question)
    totals, curated = [], 0
    for _ in range(REPEATS):
        for question in questions:
            start = time.perf_counter()
            answer = assistant.ask(question)
            totals.append((time.perf_counter() - start) * 1000)
            curated += answer.origin == "curated"
    return statistics.median(totals), curated


def main() -> None:
    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=ROOT / "index")
    plain = Assistant(settings)
    questions = [case.question for case in load_test_set(ROOT / "eval" / "testsets" / "dev.jsonl")]
    source = CuratedSource(StaticProvider(synthetic_answers(plain.index, ANSWERS)), build_answer)
    curated = Assistant(settings, embedder=plain.embedder, index=plain.index, first=[source])
    curated.chain[0].warm()
    # Interleaved runs, so that drift of the machine falls on both sides alike.
    without, with_curated, served = [], [], 0
    for _ in range(3):
        without.append(ask_medians(plain, questions)[0])
        median, count = ask_medians(curated, questions)
        with_curated.append(median)
        served += count
    figures = {
        "curated_answers": ANSWERS,
        "phrasings": sum(1 + len(r.phrasings) for r in source.provider.published()),
        "ask_median_ms_without": round(statistics.median(without), 2),
        "ask_median_ms_with": round(statistics.median(with_curated), 2),
        "added_median_ms": round(statistics.median(with_curated) - statistics.median(without), 2),
        "curated_answers_served": served,
        "asks_per_side": 3 * REPEATS * len(questions),
    }
    write_results("curated_match", figures)
    for name, value in figures.items():
        verdict = ("  ok" if value <= TARGET_MS else f"  OVER target {TARGET_MS}") if name == "added_median_ms" else ""
        print(f"{name:26s} {value:>10}{verdict}")


if __name__ == "__main__":
    main()
