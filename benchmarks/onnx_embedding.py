"""The embedding backends side by side: PyTorch, the ONNX export (onnxruntime), and that export
quantized to int8 — query latency, batch throughput, how far the vectors move, and the answers.

Run with `make bench-scale` (or alone). Query latency is the median of single-question encodes over
every question of eval/testsets, three times (what one `ask` does). Each backend runs in a fresh
process of its own (two runtimes' thread pools in one process slow each other down), builds the
bundled corpus's index with its own vectors, and answers the annual-update holdout split and the
dev set; a backend is fit to keep when every metric is within 0.005 of PyTorch's. int8 needs the
`onnx` package (for onnxruntime's quantizer) and is skipped without it. Writes
benchmarks/results/onnx.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import time
from pathlib import Path

import numpy as np
from measure import child_result, fresh_index, run_child, run_script, timing_summary, write_results
from synthetic import ROOT

WORK = Path("/tmp/score-bench/onnx")
TOLERANCE = 0.005
ROUNDS = 3


def _settings(backend: str, index: Path):
    from assistant.config import Settings

    settings = Settings(corpus_dir=ROOT / "corpus", index_dir=index)
    return settings.replace(index={"embedding_backend": backend})


def _int8(onnx_embedder, export_root: Path) -> None:
    """The ONNX embedder with its session swapped for a dynamically int8-quantized copy of the export."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from assistant.search.onnx_model import OnnxEncoder

    source = next(p for p in export_root.iterdir() if (p / "model.onnx").is_file())
    target = WORK / "int8"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    quantize_dynamic(str(source / "model.onnx"), str(target / "model.onnx"), weight_type=QuantType.QInt8)
    onnx_embedder._encode_batch = OnnxEncoder(target).encode  # the benchmark reaches inside: same batching


def _embedder(backend: str):
    """The embedder of one backend ("torch", "onnx", "onnx-int8"), its index folder new."""
    from assistant.search.embedding import Embedder

    models = WORK / "models"
    runtime = "torch" if backend == "torch" else "onnx"
    embedder = Embedder(_settings(runtime, fresh_index(WORK / f"index-{backend}", models)))
    if backend == "onnx-int8":
        _int8(embedder, models)
    return embedder


def _cases(name: str, split: str | None):
    from assistant.evaluation.testsets import load_test_set, select_split

    return select_split(load_test_set(ROOT / "eval" / "testsets" / name), split)


def _corpus_texts() -> list[str]:
    from assistant.ingest.build import prepare_document
    from assistant.ingest.sources import load_document, read_catalog
    from assistant.search.index import embedding_text
    from assistant.text.sentences import sentences_of

    document = load_document(ROOT / "corpus" / "score-annual-update-2023-24.md", read_catalog(ROOT / "corpus"))
    chunks = prepare_document(document, _settings("torch", WORK))
    return [embedding_text(document.meta.title, c) for c in chunks] + [s.text for c in chunks for s in sentences_of(c)]


def _metrics(embedder, backend: str) -> dict[str, dict[str, float]]:
    from assistant.evaluation.metrics import evaluate_test_set
    from assistant.ingest.build import ingest
    from assistant.qa.service import Assistant

    settings = _settings("torch" if backend == "torch" else "onnx", WORK / f"index-{backend}")
    assert ingest(settings, embedder=embedder).ok
    assistant = Assistant(settings, embedder=embedder)
    found = {}
    for label, name, split in [("annual-update holdout", "annual-update.jsonl", "holdout"), ("dev", "dev.jsonl", None)]:
        metrics = evaluate_test_set(assistant, _cases(name, split)).metrics
        found[label] = {k: v for k, v in metrics.items() if v is not None and "latency" not in k}
    return found


def child_backend(backend: str, evaluate: str) -> None:
    """One backend in its own process (thread pools of two runtimes in one process slow each other)."""
    embedder = _embedder(backend)
    questions = [c.question for name in ("annual-update.jsonl", "dev.jsonl") for c in _cases(name, None)]
    texts = _corpus_texts()
    latencies: list[float] = []
    for _ in range(ROUNDS):
        for question in questions:
            begin = time.perf_counter()
            embedder.encode_query(question)
            latencies.append((time.perf_counter() - begin) * 1000)
    begin = time.perf_counter()
    vectors = embedder.encode(texts)
    seconds = time.perf_counter() - begin
    queries = np.vstack([embedder.encode_query(q) for q in questions])
    np.save(WORK / f"vectors-{backend}.npy", np.vstack([queries, vectors]))
    figures = {**timing_summary(latencies, "query"), "corpus_texts_per_s": round(len(texts) / seconds, 1)}
    if evaluate == "yes":
        figures["metrics"] = _metrics(embedder, backend)
    child_result(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-eval", action="store_true", help="latency, throughput and vectors only")
    parser.add_argument("--backends", default="torch,onnx,onnx-int8")
    options = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    figures: dict[str, dict] = {}
    for backend in options.backends.split(","):
        if backend == "onnx-int8" and importlib.util.find_spec("onnx") is None:
            print("onnx-int8 skipped: onnxruntime's quantizer needs the onnx package")
            continue
        evaluate = "no" if options.skip_eval else "yes"
        figures[backend] = run_child(__file__, "backend", backend, evaluate)
        reference, vectors = np.load(WORK / "vectors-torch.npy"), np.load(WORK / f"vectors-{backend}.npy")
        figures[backend]["max_abs_diff_vs_torch"] = float(np.abs(vectors - reference).max())
        print(backend, {k: v for k, v in figures[backend].items() if k != "metrics"}, flush=True)
    for name, row in figures.items():
        if "metrics" not in row:
            continue
        deltas = {
            f"{split}:{metric}": round(value - figures["torch"]["metrics"][split][metric], 4)
            for split, metrics in row["metrics"].items() for metric, value in metrics.items()
        }
        worst = max((abs(d) for d in deltas.values()), default=0.0)
        row["max_metric_delta"] = worst
        row["changed_metrics"] = {k: d for k, d in deltas.items() if d}
        print(f"{name:10s} largest metric change vs torch {worst:.4f} "
              f"({'within' if worst <= TOLERANCE else 'OVER'} {TOLERANCE}); changed: {row['changed_metrics']}")
    print(f"written to {write_results('onnx', figures)}")


if __name__ == "__main__":
    run_script(main, {"backend": child_backend})
