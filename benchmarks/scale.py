"""Query scale: a synthetic 50,000-chunk index — its size on disk, RSS and warm `ask` latency — and
how long a flat FAISS search takes at 50k, 200k and 1M vectors.

Run with `make bench-scale`. The index is built by the real ingest (chunking, tagging, SQLite, BM25,
the streamed writer) from synthetic text made of the bundled corpus's sentences (``synthetic.py``),
so BM25 and the sentence signals have real words to work on; only the vectors are random unit
vectors of the model's dimension (embedding 50,000 chunks and their sentences would take hours on
2 cores). The build includes the candidate finders a large index gets (``assistant.search.nearest``),
so a question scores candidates, not every chunk. Questions are embedded by the real model. Build and
questions each run in a fresh process.
Targets (2 cores): warm ask ≤ 25 ms median, RSS ≤ 2 GB. Writes benchmarks/results/scale.json.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
from measure import (
    child_result,
    current_rss_mb,
    fresh_index,
    peak_rss_mb,
    run_child,
    run_script,
    timing_summary,
    write_results,
)
from synthetic import BYTES_PER_CHUNK, ROOT, write_synthetic_corpus

WORK = Path("/tmp/score-bench/scale")
DOCUMENTS = 25
TARGETS = {"ask_median_ms": 25.0, "rss_after_asks_mb": 2048.0}


class RandomEmbedder:
    """Random unit vectors under the real model's label and dimension: the write path without the model."""

    def __init__(self, label: str, dimension: int, seed: int = 7) -> None:
        self.label = label
        self.dimension = dimension
        self.random = np.random.default_rng(seed)

    def encode(self, texts: list[str], progress: object = None) -> np.ndarray:
        vectors = self.random.standard_normal((len(texts), self.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _settings(index: Path):
    from assistant.config import Settings

    return Settings(corpus_dir=WORK / "corpus", index_dir=index)


def child_build(index: str, chunks: str) -> None:
    from assistant.ingest.build import ingest

    corpus = WORK / "corpus"
    shutil.rmtree(corpus, ignore_errors=True)
    per_document = int(chunks) * BYTES_PER_CHUNK // DOCUMENTS
    for number in range(DOCUMENTS):
        write_synthetic_corpus(corpus, per_document, seed=number, name=f"synthetic-{number:02d}.txt")
    settings = _settings(Path(index))
    start = time.perf_counter()
    result = ingest(settings, embedder=RandomEmbedder(settings.index.model_label(), 384))
    stats = result.stats
    assert stats is not None, result.failures
    child_result({
        "build_s": round(time.perf_counter() - start, 1), "chunks": stats.chunks, "sentences": stats.sentences,
        "build_peak_rss_mb": peak_rss_mb(),
    })


def _questions() -> list[str]:
    from assistant.evaluation.testsets import load_test_set

    sets = ["annual-update.jsonl", "dev.jsonl"]
    return [case.question for name in sets for case in load_test_set(ROOT / "eval" / "testsets" / name)]


def child_ask(index: str) -> None:
    from assistant.qa.service import Assistant

    start = time.perf_counter()
    assistant = Assistant(_settings(Path(index)))
    loaded = time.perf_counter() - start
    questions = _questions()
    first = time.perf_counter()
    for question in questions[:5]:  # warm: lazily built structures (sentence terms, evidence features)
        assistant.ask(question)
    warm_up = time.perf_counter() - first
    totals: list[float] = []
    parts: dict[str, list[float]] = {}
    for question in questions:
        begin = time.perf_counter()
        answer = assistant.ask(question)
        totals.append((time.perf_counter() - begin) * 1000)
        for name, value in answer.timings_ms.items():
            parts.setdefault(name, []).append(value)
    figures = {"load_s": round(loaded, 1), "first_5_asks_s": round(warm_up, 1), **timing_summary(totals, "ask"),
               "candidate_finders": assistant.index.chunk_ann is not None}
    for name, values in parts.items():
        if name != "total":
            figures[f"{name}_median_ms"] = timing_summary(values, name)[f"{name}_median_ms"]
    figures["rss_after_asks_mb"] = current_rss_mb()
    figures["peak_rss_mb"] = peak_rss_mb()
    child_result(figures)


def flat_search_times(sizes: list[int], dimension: int = 384, queries: int = 20) -> dict[str, dict[str, float]]:
    """Median ms of one query on an exact inner-product index of random unit vectors: the 10 best, and
    every score as the dense ranker asks for; and an IVF index (nprobe 16) beside the largest."""
    import faiss

    # One thread per query, as a server answering several questions at once runs it (on 2 busy cores,
    # FAISS's two OpenMP threads made a 50k search 3-4 times slower than one).
    faiss.omp_set_num_threads(1)
    rng = np.random.default_rng(0)
    found: dict[str, dict[str, float]] = {}
    probes = rng.standard_normal((queries, dimension)).astype(np.float32)
    probes /= np.linalg.norm(probes, axis=1, keepdims=True)

    def median_ms(search) -> float:
        times = []
        for probe in probes:
            begin = time.perf_counter()
            search(probe[None, :])
            times.append((time.perf_counter() - begin) * 1000)
        return round(float(np.median(times)), 2)

    for size in sizes:
        vectors = rng.standard_normal((size, dimension)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        flat = faiss.IndexFlatIP(dimension)
        flat.add(vectors)
        row = {
            "flat_top10_ms": median_ms(lambda q, index=flat: index.search(q, 10)),
            "flat_all_scores_ms": median_ms(lambda q, index=flat, n=size: index.search(q, n)),
            "matmul_all_scores_ms": median_ms(lambda q, v=vectors: v @ q[0]),
        }
        if size == max(sizes):
            lists = int(4 * np.sqrt(size))
            ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dimension), dimension, lists, faiss.METRIC_INNER_PRODUCT)
            begin = time.perf_counter()
            ivf.train(vectors[rng.choice(size, min(size, 40 * lists), replace=False)])
            ivf.add(vectors)
            row["ivf_build_s"] = round(time.perf_counter() - begin, 1)
            ivf.nprobe = 16
            row[f"ivf{lists}_nprobe16_top10_ms"] = median_ms(lambda q, index=ivf: index.search(q, 10))
        found[f"{size:,}"] = row
        del vectors, flat
    return found


def _disk_size(folder: Path) -> dict[str, float]:
    sizes = {p.name: p.stat().st_size for p in folder.iterdir() if p.is_file()}
    sizes["lexical/"] = sum(p.stat().st_size for p in (folder / "lexical").rglob("*") if p.is_file())
    mb = {name: round(size / 2**20, 1) for name, size in sorted(sizes.items())}
    mb["total"] = round(sum(sizes.values()) / 2**20, 1)
    return mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=50_000)
    parser.add_argument("--flat-sizes", default="50000,200000,1000000", help="comma-separated vector counts")
    parser.add_argument("--flat-only", action="store_true", help="only the flat-search timings")
    options = parser.parse_args()
    figures: dict = {"flat_search": flat_search_times([int(n) for n in options.flat_sizes.split(",")])}
    for size, row in figures["flat_search"].items():
        print(f"{size:>10} vectors: {row}", flush=True)
    if options.flat_only:
        print(f"written to {write_results('scale-flat', figures)}")
        return
    index = fresh_index(WORK / "index", WORK.parent / "models")
    figures["build"] = run_child(__file__, "build", str(index), str(options.chunks))
    print(f"built {figures['build']}", flush=True)
    figures["disk_mb"] = _disk_size((index / "current").resolve())
    print(f"index on disk (MB): {figures['disk_mb']}", flush=True)
    figures["ask"] = run_child(__file__, "ask", str(index))
    for name, target in TARGETS.items():
        value = figures["ask"][name]
        print(f"{name:22s} {value:>10}  {'ok' if value <= target else f'OVER target {target}'}")
    print({k: v for k, v in figures["ask"].items() if k not in TARGETS}, flush=True)
    print(f"written to {write_results('scale', figures)}")


if __name__ == "__main__":
    run_script(main, {"build": child_build, "ask": child_ask})
