"""HTTP load for ``make bench``: Locust, headless and bounded in time, at 10 and at 50 concurrent clients.

Starts ``score-assistant serve`` on the index already built in ``index/`` with a throw-away database
(the helpers of ``bench_http.py``), then runs the users of ``benchmarks/locustfile.py`` against it
for ``--run-time`` at each client count: questions with follow-ups in their conversation, searches,
passage pages of cited chunks and feedback. Reports per endpoint the median and p95 latency,
requests/s and errors (from Locust's CSV statistics), and writes them as JSON to
``benchmarks/results/load-<time>.json``. Exits 1 when any request failed.

    .venv/bin/python benchmarks/load.py [--clients 10,50] [--run-time 30s] [--workers N]

Not a unit test: it measures the machine as much as the code, and Locust itself takes a share of
the same cores as the server.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from bench_http import ROOT, free_port, serve_command, wait_for_first_answer

RESULTS = ROOT / "benchmarks" / "results"
LOCUSTFILE = ROOT / "benchmarks" / "locustfile.py"
TOTAL = "Aggregated"


def _figures(row: dict[str, str]) -> dict[str, float | int | None]:
    def number(column: str) -> float | None:
        value = row.get(column, "N/A")
        return None if value in ("", "N/A") else round(float(value), 1)

    return {
        "requests": int(row["Request Count"]),
        "errors": int(row["Failure Count"]),
        "median_ms": number("50%"),
        "p95_ms": number("95%"),
        "requests_per_second": number("Requests/s"),
    }


def run_locust(base: str, clients: int, run_time: str, folder: Path) -> dict:
    """One headless Locust run: per-endpoint figures, the total, and samples of what failed."""
    prefix = folder / f"locust-{clients}"
    # The cores are shared: what else was running says how far to trust the figures.
    load_before = round(os.getloadavg()[0], 2)
    command = [
        str(Path(sys.executable).with_name("locust")), "-f", str(LOCUSTFILE), "--headless", "--only-summary",
        "--users", str(clients), "--spawn-rate", str(clients), "--run-time", run_time, "--stop-timeout", "10",
        "--host", base, "--csv", str(prefix), "--loglevel", "WARNING",
    ]
    with (folder / f"locust-{clients}.log").open("w") as log:
        # Locust exits 1 when a request failed: the failures are read from its CSV, not its status.
        subprocess.run(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, check=False)
    with Path(f"{prefix}_stats.csv").open(newline="") as stats:
        rows = {row["Name"]: row for row in csv.DictReader(stats)}
    with Path(f"{prefix}_failures.csv").open(newline="") as failures:
        samples = [f"{r['Name']}: {r['Error']} ({r['Occurrences']}×)" for r in csv.DictReader(failures)]
    return {
        "clients": clients,
        "run_time": run_time,
        "load_average_1min": {"before": load_before, "after": round(os.getloadavg()[0], 2)},
        "endpoints": {name: _figures(row) for name, row in rows.items() if name != TOTAL},
        "total": _figures(rows[TOTAL]),
        "error_samples": samples[:10],
    }


def print_run(run: dict) -> None:
    load = run["load_average_1min"]
    print(f"\n{run['clients']} concurrent clients, {run['run_time']} "
          f"(machine load average {load['before']} → {load['after']}):")
    print(f"  {'endpoint':<28}{'requests':>9}{'errors':>8}{'median ms':>11}{'p95 ms':>9}{'req/s':>8}")
    for name, f in [*run["endpoints"].items(), ("all", run["total"])]:
        print(f"  {name:<28}{f['requests']:>9}{f['errors']:>8}{f['median_ms']!s:>11}{f['p95_ms']!s:>9}"
              f"{f['requests_per_second']!s:>8}")
    for sample in run["error_samples"]:
        print(f"  error: {sample}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", default="10,50", help="comma-separated client counts, one run each")
    parser.add_argument("--run-time", default="30s", help="length of each run (Locust's --run-time)")
    parser.add_argument("--startup-timeout", type=float, default=300.0)
    parser.add_argument("--workers", type=int, default=None, help="serve --workers N (default: serve's default)")
    args = parser.parse_args()

    manifest_path = ROOT / "index" / "current" / "manifest.json"
    if not manifest_path.is_file():
        raise SystemExit("no index in index/: run `make index` (or `score-assistant ingest`) first")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    workdir = Path(tempfile.mkdtemp(prefix="bench-load-"))
    env = {**os.environ, "SCORE_DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}"}
    runs = []
    with (workdir / "server.log").open("w") as log:
        launched = time.perf_counter()
        server = subprocess.Popen(
            serve_command(port, args.workers), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            try:
                wait_for_first_answer(base, server, args.startup_timeout)
            except SystemExit:
                print(f"the server's output is in {workdir / 'server.log'}", file=sys.stderr)
                raise
            print(f"server answering after {time.perf_counter() - launched:.1f} s; Locust runs follow")
            for clients in (int(n) for n in args.clients.split(",")):
                runs.append(run_locust(base, clients, args.run_time, workdir))
                print_run(runs[-1])
        finally:
            server.terminate()
            server.wait(timeout=30)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    result = {
        "benchmark": "load",
        "tool": "locust",
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "index": {"counts": manifest.get("counts"), "model": manifest.get("model", {}).get("name")},
        "workers": args.workers,
        "runs": runs,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"load-{datetime.now(UTC):%Y%m%d-%H%M%S}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {out.relative_to(ROOT)}")
    shutil.rmtree(workdir, ignore_errors=True)
    if any(run["total"]["errors"] for run in runs):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
