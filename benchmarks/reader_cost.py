"""What a reader model would cost per question: one pass over the (question, sentence) pairs the
assistant weighs, against the warm `ask` budget.

A cross-encoder (or an extractive reader) reads the question and each candidate sentence together,
so nothing can be computed at index time: every candidate is one more pass of a transformer per
question. This runs the bundled model, which has the size and architecture of the smallest usual
cross-encoder (MiniLM-L6, 384 wide), over "question [SEP] sentence" for the candidate sentences the
assistant retrieves for each annual-update holdout question: the first 10 (by the evidence model's
probability) and all of them. The model's output is not used; the figure is the time. Run with
`make bench` (or alone). Writes benchmarks/results/reader_cost.json.
"""

from __future__ import annotations

import time

from measure import timing_summary, write_results
from synthetic import ROOT

FEW = 10
BUDGET_MS = 15  # the warm in-process `ask` budget the reader would have to fit in


def main() -> None:
    from assistant.config import Settings
    from assistant.evaluation.testsets import load_test_set, select_split
    from assistant.qa.extractive import ExtractiveAnswerer, evidence_passages
    from assistant.search.embedding import Embedder
    from assistant.search.index import load_index
    from assistant.search.retrieval import Query, Searcher

    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=ROOT / "index")
    embedder = Embedder(settings)
    index = load_index(settings, embedder.dimension)
    searcher, answerer = Searcher(index, embedder, settings), ExtractiveAnswerer(index, settings, embedder)
    cases = select_split(load_test_set(ROOT / "eval" / "testsets" / "annual-update.jsonl"), "holdout")
    few, every, counts = [], [], []
    for case in cases:
        result = searcher.retrieve(Query(case.question, k=5))
        candidates = answerer.scored(result, evidence_passages(result))
        pairs = [f"{case.question} [SEP] {c.text}" for c in candidates]
        if not pairs:
            continue
        counts.append(len(pairs))
        for chosen, timings in ((pairs[:FEW], few), (pairs, every)):
            start = time.perf_counter()
            embedder.encode(chosen)
            timings.append((time.perf_counter() - start) * 1000)
    figures = {
        "questions": len(counts),
        "candidates_per_question_median": sorted(counts)[len(counts) // 2],
        **timing_summary(few, f"read_{FEW}"),
        **timing_summary(every, "read_all"),
        "budget_ms": BUDGET_MS,
    }
    print(f"{figures['questions']} questions, {figures['candidates_per_question_median']} candidate sentences "
          f"(median); reading {FEW}: {figures[f'read_{FEW}_median_ms']} ms median, all: "
          f"{figures['read_all_median_ms']} ms median, against a {BUDGET_MS} ms budget for the whole answer")
    print(f"wrote {write_results('reader_cost', figures)}")


if __name__ == "__main__":
    main()
