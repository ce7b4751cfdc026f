"""What the scale benchmarks share: running one measurement in a fresh process, and summarising timings.

Owns the child-process protocol (the script runs itself with ``--child NAME ARGS…`` and prints one
JSON object as its last line, so each measurement has its own peak RSS and a cold start), the peak
RSS of the current process, the median/p95 summary, fresh index folders, and writing a results file.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def peak_rss_mb() -> float:
    """Highest resident memory of this process so far, in MB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def current_rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as handle:
        pages = int(handle.read().split()[1])
    return round(pages * os.sysconf("SC_PAGE_SIZE") / 2**20, 1)


def timing_summary(milliseconds: list[float], prefix: str) -> dict[str, float]:
    """Median and p95 (nearest rank) of a list of timings, keys prefixed."""
    ordered = sorted(milliseconds)
    return {
        f"{prefix}_median_ms": round(statistics.median(ordered), 2),
        f"{prefix}_p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2),
        f"{prefix}_samples": len(ordered),
    }


def run_child(script: str, name: str, *args: str, env: dict[str, str] | None = None) -> dict:
    """Run ``script --child name args…`` in a new interpreter; its last stdout line is the JSON result."""
    command = [sys.executable, script, "--child", name, *args]
    done = subprocess.run(command, env={**os.environ, **(env or {})}, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_script(main: Callable[[], None], children: dict[str, Callable[..., None]]) -> None:
    """``main()``, or, run as ``--child NAME ARGS…``, the child measurement NAME with those arguments."""
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        children[sys.argv[2]](*sys.argv[3:])
    else:
        main()


def child_result(result: dict) -> None:
    """Print a child's result as the one line ``run_child`` reads."""
    print(json.dumps(result), flush=True)


def fresh_index(index: Path, models: Path) -> Path:
    """An empty index folder whose ONNX export (``index/models/``) is shared across runs, so each run
    does not export the model again."""
    shutil.rmtree(index, ignore_errors=True)
    index.mkdir(parents=True)
    models.mkdir(parents=True, exist_ok=True)
    (index / "models").symlink_to(models)
    return index


def write_results(name: str, figures: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return path
