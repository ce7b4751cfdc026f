"""HTTP benchmark of the web app on the bundled corpus: start-up time and POST /api/ask under load.

Starts ``score-assistant serve`` as a subprocess on the index already built in ``index/`` (run
``make index`` first) with a throw-away database, measures the time from launching the process to
the first successful answer, then lets N concurrent clients (threads, one httpx client each) ask
questions for D seconds. Each client keeps a conversation, so follow-ups ("and in Asia?") are part
of the load, and every answer is stored as in real use. Prints median and p95 latency, requests
per second and errors (which must be 0), and writes the figures as JSON to ``benchmarks/results/``.

    .venv/bin/python benchmarks/bench_http.py [--clients 10] [--duration 30] [--workers N]

Not a unit test: it takes about a minute and measures the machine as much as the code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
QUESTIONS = (
    "How did trainers get enterprises to pay for the training?",
    "and in Asia?",
    "Which donors fund SCORE in India, the Philippines and South Africa?",
    "How did SCORE help enterprises cut energy costs?",
    "What is SCORE4Climate?",
    "How were women workers supported in Ethiopia?",
    "Which governments adopted SCORE training?",
    "What did SCORE achieve in Vietnam?",
    "How many enterprises fully covered the training cost in Myanmar?",
    "and in Latin America?",
)
TURNS_PER_CONVERSATION = 5


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(port: int, workers: int | None = None) -> list[str]:
    script = Path(sys.executable).parent / "score-assistant"
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "assistant.cli"]
    chosen = [] if workers is None else ["--workers", str(workers)]  # None: serve's default
    return [*launcher, "serve", "--host", "127.0.0.1", "--port", str(port), *chosen]


def wait_for_first_answer(base: str, server: subprocess.Popen, timeout: float) -> float:
    """Seconds from now until POST /api/ask first succeeds."""
    start = time.perf_counter()
    with httpx.Client(timeout=30) as client:
        while time.perf_counter() - start < timeout:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with status {server.returncode}")
            try:
                if client.post(f"{base}/api/ask", json={"question": QUESTIONS[0]}).status_code == 200:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    raise SystemExit(f"no answer within {timeout:.0f} s")


def client_loop(base: str, offset: int, deadline: float, latencies: list[float], errors: list[str]) -> None:
    conversation: str | None = None
    turn = 0
    with httpx.Client(timeout=60) as client:
        while time.perf_counter() < deadline:
            question = QUESTIONS[(offset + turn) % len(QUESTIONS)]
            body = {"question": question, "conversation_id": conversation}
            start = time.perf_counter()
            try:
                response = client.post(f"{base}/api/ask", json=body)
            except httpx.HTTPError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                errors.append(f"HTTP {response.status_code}: {response.text[:200]}")
                continue
            latencies.append(elapsed)
            turn += 1
            conversation = None if turn % TURNS_PER_CONVERSATION == 0 else response.json()["conversation_id"]


def run_load(base: str, clients: int, duration: float) -> dict:
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    deadline = start + duration
    threads = [
        threading.Thread(target=client_loop, args=(base, i, deadline, latencies, errors)) for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies)
    return {
        "clients": clients,
        "duration_s": round(elapsed, 2),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "requests_per_second": round(len(latencies) / elapsed, 2),
        "latency_ms": {
            "median": round(statistics.median(ordered) * 1000, 1) if ordered else None,
            "p95": round(statistics.quantiles(ordered, n=100)[94] * 1000, 1) if len(ordered) > 1 else None,
            "mean": round(statistics.fmean(ordered) * 1000, 1) if ordered else None,
            "max": round(ordered[-1] * 1000, 1) if ordered else None,
        },
    }


def single_client_latency(base: str, rounds: int = 20) -> float:
    """Median latency of one client alone: the cost of one answer without queueing."""
    with httpx.Client(timeout=60) as client:
        samples = []
        for i in range(rounds):
            start = time.perf_counter()
            client.post(f"{base}/api/ask", json={"question": QUESTIONS[i % len(QUESTIONS)]}).raise_for_status()
            samples.append(time.perf_counter() - start)
    return round(statistics.median(samples) * 1000, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=None, help="serve --workers N (default: serve's default)")
    args = parser.parse_args()

    if not (ROOT / "index" / "current" / "manifest.json").is_file():
        raise SystemExit("no index in index/: run `make index` (or `score-assistant ingest`) first")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-http-"))
    env = {**os.environ, "SCORE_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}"}
    log = (workdir / "server.log").open("w")
    launched = time.perf_counter()
    command = serve_command(port, args.workers)
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_first_answer(base, server, args.startup_timeout)
        first_answer_s = time.perf_counter() - launched
        print(f"time to first answer: {first_answer_s:.2f} s (process start → first 200 from POST /api/ask)")
        alone_ms = single_client_latency(base)
        print(f"one client alone: median {alone_ms:.1f} ms")
        print(f"load: {args.clients} concurrent clients for {args.duration:.0f} s …")
        load = run_load(base, args.clients, args.duration)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
    latency = load["latency_ms"]
    print(
        f"POST /api/ask, {load['clients']} clients: median {latency['median']} ms, p95 {latency['p95']} ms, "
        f"{load['requests_per_second']} req/s, {load['requests']} requests, {load['errors']} errors"
    )
    for sample in load["error_samples"]:
        print(f"  error: {sample}")
    manifest = json.loads((ROOT / "index" / "current" / "manifest.json").read_text())
    result = {
        "benchmark": "http",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "index": {"counts": manifest.get("counts"), "model": manifest.get("model", {}).get("name")},
        "time_to_first_answer_s": round(first_answer_s, 2),
        "single_client_median_ms": alone_ms,
        "workers": args.workers,
        "load": load,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"http-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")
    shutil.rmtree(workdir, ignore_errors=True)
    if load["errors"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
