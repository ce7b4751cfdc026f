"""Core benchmarks: full ingest of the bundled corpus (time, peak memory) and warm `ask` latency.

Run with `make bench`. Targets (2-core machine): ingest < 30 s including model load, peak memory
during ingest < 1.5 GB, warm ask ≤ 8 ms median in-process. Prints the figures and writes
benchmarks/results/core.json.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
CLI = str(Path(sys.executable).with_name("score-assistant"))


def bench_ingest() -> dict[str, float]:
    """A cold full ingest in a fresh process: empty index, no embedding cache, model loaded from disk."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, SCORE_CORPUS_DIR=str(ROOT / "corpus"), SCORE_INDEX_DIR=str(Path(folder) / "index"))
        start = time.perf_counter()
        subprocess.run([CLI, "ingest"], env=env, check=True, capture_output=True)
        seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"ingest_seconds": round(seconds, 2), "ingest_peak_rss_mb": round(peak_kib / 1024, 1)}


def bench_ask(repeats: int = 5) -> dict[str, float]:
    """Warm in-process latency of Assistant.ask over the dev questions."""
    from assistant.config import Settings
    from assistant.evaluation.testsets import load_test_set
    from assistant.qa.service import Assistant

    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=ROOT / "index")
    assistant = Assistant(settings)
    questions = [case.question for case in load_test_set(ROOT / "eval" / "testsets" / "dev.jsonl")]
    for question in questions[:5]:
        assistant.ask(question)
    totals: list[float] = []
    embeds: list[float] = []
    for _ in range(repeats):
        for question in questions:
            start = time.perf_counter()
            answer = assistant.ask(question)
            totals.append((time.perf_counter() - start) * 1000)
            embeds.append(answer.timings_ms["embed"])
    totals.sort()
    return {
        "ask_median_ms": round(statistics.median(totals), 2),
        "ask_p95_ms": round(totals[int(0.95 * (len(totals) - 1))], 2),
        "ask_embed_median_ms": round(statistics.median(embeds), 2),
        "ask_samples": float(len(totals)),
    }


def main() -> None:
    if not (ROOT / "index" / "current").exists():
        subprocess.run([CLI, "ingest"], check=True, cwd=ROOT)
    figures = {**bench_ingest(), **bench_ask()}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "core.json").write_text(json.dumps(figures, indent=2), encoding="utf-8")
    targets = {"ingest_seconds": 30, "ingest_peak_rss_mb": 1536, "ask_median_ms": 8}
    for name, value in figures.items():
        target = targets.get(name)
        verdict = "" if target is None else ("  ok" if value < target else f"  OVER target {target}")
        print(f"{name:24s} {value:>10}{verdict}")


if __name__ == "__main__":
    main()
