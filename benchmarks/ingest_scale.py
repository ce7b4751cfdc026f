"""Ingest throughput and memory at scale: the bundled corpus, about 1,000 chunks, and a 20 MB text file.

Run with `make bench-scale` (not part of `make bench`: the 20 MB file takes a long while on 2 cores).
Each case runs in a fresh process: the model is loaded (timed apart), then the corpus is ingested
into an empty index under /tmp. Reports seconds after model load, chunks/s, sentences/s and peak
RSS, with the RSS sampled through the ingest to show it stays flat. On the large index it also asks
questions that no document answers, to see whether the assistant abstains. The synthetic corpora
(``synthetic.py``) are written under /tmp, never committed. Targets (2 cores): bundled corpus ≤ 5 s
after model load, 1,000 chunks ≤ 30 s, peak RSS ≤ 1.5 GB whatever the size. Writes
benchmarks/results/ingest_scale.json.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from pathlib import Path

from measure import child_result, current_rss_mb, fresh_index, peak_rss_mb, run_child, run_script, write_results
from synthetic import BYTES_PER_CHUNK, ROOT, write_synthetic_corpus

WORK = Path("/tmp/score-bench/ingest")
NONSENSE = [
    "What is the airspeed velocity of an unladen swallow?",
    "How do I bake sourdough bread with rye flour?",
    "Which football club won the 1998 World Cup final?",
    "qwxz florp blarg zzyzx?",
]
TARGETS = {"bundled": 5.0, "1k-chunks": 30.0}
PEAK_TARGET_MB = 1536


class RssSampler:
    """The process's RSS once a second in a background thread, to show whether memory grows."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(1.0):
            self.samples.append(current_rss_mb())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def quartiles(self) -> list[float]:
        """RSS at 25, 50, 75 and 100 % of the run."""
        if not self.samples:
            return []
        return [self.samples[min(len(self.samples) - 1, int(q * len(self.samples)))] for q in (0.25, 0.5, 0.75, 1.0)]


def child_ingest(corpus: str, index: str, backend: str, ask_nonsense: str) -> None:
    from assistant.config import Settings
    from assistant.ingest.build import ingest
    from assistant.search.embedding import Embedder

    settings = Settings(corpus_dir=Path(corpus), index_dir=Path(index))
    settings = settings.replace(index={"embedding_backend": backend})
    start = time.perf_counter()
    embedder = Embedder(settings)
    loaded = time.perf_counter()
    rss_after_load = current_rss_mb()
    cpu, load = time.process_time(), os.getloadavg()[0]
    with RssSampler() as sampler:
        result = ingest(settings, embedder=embedder)
    seconds = time.perf_counter() - loaded
    stats = result.stats
    assert stats is not None, result.failures
    figures = {
        "backend": backend,
        "model_load_s": round(loaded - start, 2),
        "ingest_s_after_load": round(seconds, 2),
        # The machine's other work shows in these two: CPU seconds this process got, and the load around it.
        "ingest_cpu_s": round(time.process_time() - cpu, 1),
        "load_average_before_after": [round(load, 1), round(os.getloadavg()[0], 1)],
        "chunks": stats.chunks,
        "sentences": stats.sentences,
        "chunks_per_s": round(stats.chunks / seconds, 1),
        "sentences_per_s": round(stats.sentences / seconds, 1),
        "rss_after_model_load_mb": rss_after_load,
        "rss_quartiles_mb": sampler.quartiles(),
        "peak_rss_mb": peak_rss_mb(),  # of the ingest: the index is loaded for questions only after this
    }
    if ask_nonsense == "yes":
        from assistant.qa.service import Assistant

        assistant = Assistant(settings, embedder=embedder)
        figures["peak_rss_with_index_loaded_mb"] = peak_rss_mb()
        figures["nonsense"] = [
            {"question": q, "abstained": a.abstained, "answer": a.text[:160]}
            for q, a in ((q, assistant.ask(q)) for q in NONSENSE)
        ]
    child_result(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=1000, help="size of the middle case, in chunks")
    parser.add_argument("--big-mb", type=float, default=20.0, help="size of the large text file, in MB (0: skip)")
    parser.add_argument("--backend", default="onnx", choices=["onnx", "torch"])
    options = parser.parse_args()
    cases = [("bundled", ROOT / "corpus")]
    middle = write_synthetic_corpus(WORK / "corpus-1k", options.chunks * BYTES_PER_CHUNK)
    cases.append(("1k-chunks", middle.parent))
    if options.big_mb:
        big = write_synthetic_corpus(WORK / "corpus-big", int(options.big_mb * 1e6))
        cases.append((f"{options.big_mb:g}MB", big.parent))
    figures: dict[str, dict] = {}
    for name, corpus in cases:
        index = fresh_index(WORK / f"index-{name}", WORK.parent / "models")
        ask_nonsense = "yes" if name.endswith("MB") else "no"
        figures[name] = run_child(__file__, "ingest", str(corpus), str(index), options.backend, ask_nonsense)
        row = figures[name]
        target = TARGETS.get(name)
        verdict = "" if target is None else ("ok" if row["ingest_s_after_load"] <= target else f"OVER {target} s")
        memory = "ok" if row["peak_rss_mb"] <= PEAK_TARGET_MB else f"OVER {PEAK_TARGET_MB} MB"
        print(
            f"{name:10s} {row['chunks']:>7} chunks {row['sentences']:>8} sentences  "
            f"{row['ingest_s_after_load']:>8.1f} s after load ({verdict or '-'})  "
            f"{row['chunks_per_s']:>7.1f} chunks/s {row['sentences_per_s']:>8.1f} sentences/s  "
            f"peak {row['peak_rss_mb']:.0f} MB ({memory}); RSS by quartile {row['rss_quartiles_mb']}",
            flush=True,
        )
        for item in row.get("nonsense", []):
            print(f"    abstained={item['abstained']!s:5} {item['question']}")
    print(f"written to {write_results('ingest_scale', figures)}")


if __name__ == "__main__":
    run_script(main, {"ingest": child_ingest})
