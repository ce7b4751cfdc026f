"""``score-assistant serve`` as a subprocess for tests: started over a small corpus in a temporary
folder, waited for until ``/healthz`` answers, stopped at the end; its output is kept in ``serve.log``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.builders import write_small_corpus

STARTUP_LIMIT_S = 240  # a model load per process on a busy 2-core machine; not a performance assertion


@dataclass
class Served:
    base: str
    process: subprocess.Popen
    log: Path
    health: dict


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def serve_small_corpus(tmp_path: Path, *options: str) -> Iterator[Served]:
    """``serve [options]`` over the small corpus (index and database in tmp_path), up and answering."""
    port = free_port()
    env = {
        **os.environ,
        "SCORE_CORPUS_DIR": str(write_small_corpus(tmp_path / "corpus")),
        "SCORE_INDEX_DIR": str(tmp_path / "index"),
        "SCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
    }
    log = tmp_path / "serve.log"
    command = [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port), *options]
    with log.open("w") as output:
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + STARTUP_LIMIT_S
            while True:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the server did not come up"
                try:
                    health = httpx.get(f"{base}/healthz", timeout=5).json()
                    break
                except httpx.TransportError:
                    time.sleep(0.25)
            yield Served(base, process, log, health)
        finally:
            process.terminate()
            process.wait(timeout=30)
