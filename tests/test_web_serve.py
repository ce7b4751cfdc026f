"""``score-assistant serve`` as a trainer's machine runs it: a subprocess that builds a missing index."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.builders import write_small_corpus

pytestmark = pytest.mark.slow


def test_serve_builds_the_missing_index_then_answers(tmp_path):
    corpus = write_small_corpus(tmp_path / "corpus")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "SCORE_CORPUS_DIR": str(corpus),
        "SCORE_INDEX_DIR": str(tmp_path / "index"),
        "SCORE_DATABASE_URL": f"sqlite:///{tmp_path / 'app.sqlite'}",
    }
    log = (tmp_path / "serve.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "the server did not come up"
            try:
                health = httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.25)
        assert health.json()["counts"]["documents"] == 2
        question = "How many enterprises paid the full training cost in Myanmar?"
        answer = httpx.post(f"{base}/api/ask", json={"question": question}, timeout=30)
        assert answer.status_code == 200 and answer.json()["citations"][0]["country"] == "Myanmar"
        assert "<title>SCORE Assistant</title>" in httpx.get(base + "/").text
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()
    output = (tmp_path / "serve.log").read_text()
    assert "Building the index: no index in" in output
    assert (tmp_path / "index" / "current" / "manifest.json").is_file()
    assert (tmp_path / "app.sqlite").is_file()
