"""Two worker processes on one PostgreSQL database: concurrent turns of one conversation are each
stored once, at positions 1…N, and a worker killed (-9) in the middle of a burst loses no turn it
acknowledged.

Each worker is what ``serve --workers`` starts: uvicorn on the app factory, the database migrated
once before by ``score-assistant db upgrade``, the small test index read by both.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from assistant.config import Settings
from assistant.web.factory import IMPORT_STRING

pytest_plugins = ["tests.postgres_server"]
pytestmark = pytest.mark.slow

QUESTIONS = (
    "Which enterprises paid for the training themselves?",
    "How many enterprises paid the full training cost in Myanmar?",
    "What did Ghana prioritise?",
    "Who financed the suppliers in Peru?",
)
CLIENTS = 12  # concurrent requests, spread over both workers
ASKS = 36  # per burst
START_TIMEOUT_S = 180  # a guard against a worker that never comes up, not a speed check


class Worker:
    """One uvicorn worker process serving the app factory on its own port; started again when dead."""

    def __init__(self, name: str, env: dict[str, str], folder: Path) -> None:
        from tests.postgres_server import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env, self.folder = env, folder
        self.log_path = folder / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", IMPORT_STRING, "--host", "127.0.0.1",
                 "--port", str(self.port)],
                cwd=self.folder, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            assert self.running(), self.log_path.read_text()
            assert time.monotonic() < deadline, f"the worker did not get ready:\n{self.log_path.read_text()}"
            try:
                if httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.25)

    def ask(self, question: str, conversation_id: str | None = None) -> httpx.Response:
        body = {"question": question, **({"conversation_id": conversation_id} if conversation_id else {})}
        return httpx.post(f"{self.base}/api/ask", json=body, timeout=120)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.running():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(scope="module")
def worker_pair(small_settings: Settings, postgres, tmp_path_factory: pytest.TempPathFactory):
    """Two workers on one freshly upgraded PostgreSQL database, started once for the module."""
    folder = tmp_path_factory.mktemp("workers")
    env = {
        **os.environ,
        "SCORE_CORPUS_DIR": str(small_settings.corpus_dir),
        "SCORE_INDEX_DIR": str(small_settings.index_dir),
        "SCORE_DATABASE_URL": postgres.new_database(),
        "OMP_NUM_THREADS": "1",  # two workers share the cores
    }
    upgrade = subprocess.run([sys.executable, "-m", "assistant.cli", "db", "upgrade"], env=env, cwd=folder,
                             capture_output=True, text=True, timeout=120)
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    pair = [Worker(name, env, folder) for name in ("a", "b")]
    try:
        yield pair
    finally:
        for worker in pair:
            worker.stop()


@pytest.fixture
def workers(worker_pair: list[Worker]) -> list[Worker]:
    """Both workers running and ready; one a test killed is started again."""
    for worker in worker_pair:
        if not worker.running():
            worker.start()
    for worker in worker_pair:
        worker.wait_ready()
    return worker_pair


def _stored(worker: Worker, conversation_id: str) -> list[tuple[int, int]]:
    """(position, answer id) of every stored turn of the conversation, in order."""
    response = httpx.get(f"{worker.base}/api/conversations/{conversation_id}", timeout=30)
    assert response.status_code == 200, response.text
    return [(turn["position"], turn["answer_id"]) for turn in response.json()["turns"]]


def _burst(workers: list[Worker], conversation_id: str, on_answer=None) -> tuple[dict[int, int], int]:
    """ASKS concurrent questions of one conversation, alternately to each worker: the acknowledged
    turns (answer id → position) and how many requests got no answer."""
    acknowledged: dict[int, int] = {}
    failed = 0
    lock = threading.Lock()

    def ask(n: int) -> None:
        nonlocal failed
        worker = workers[n % len(workers)]
        try:
            response = worker.ask(QUESTIONS[n % len(QUESTIONS)], conversation_id)
        except httpx.TransportError:
            with lock:
                failed += 1
            return
        assert response.status_code == 200, response.text
        with lock:
            acknowledged[response.json()["answer_id"]] = response.json()["position"]
        if on_answer is not None:
            on_answer(worker)

    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(ask, range(ASKS)))
    return acknowledged, failed


def test_two_workers_store_concurrent_turns_of_one_conversation_once_each(workers):
    a, b = workers
    first = a.ask(QUESTIONS[0])
    assert first.status_code == 200
    conversation_id = first.json()["conversation_id"]

    acknowledged, failed = _burst(workers, conversation_id)
    assert failed == 0 and len(acknowledged) == ASKS
    stored = _stored(b, conversation_id)
    assert [position for position, _ in stored] == list(range(1, ASKS + 2))  # no gap, no position twice
    assert sorted(answer_id for _, answer_id in stored) == sorted([first.json()["answer_id"], *acknowledged])
    assert {answer_id: position for position, answer_id in stored if answer_id in acknowledged} == acknowledged


def test_a_worker_killed_in_a_burst_loses_no_acknowledged_turn(workers):
    a, b = workers
    conversation_id = a.ask(QUESTIONS[0]).json()["conversation_id"]
    b_answered = threading.Semaphore(0)
    killer = threading.Thread(target=lambda: (b_answered.acquire(), b_answered.acquire(), b.kill()))
    killer.start()  # kills worker b once it has answered twice in the burst, whatever it is doing then

    acknowledged, failed = _burst(workers, conversation_id, lambda worker: worker is b and b_answered.release())
    killer.join()
    assert b.process.returncode == -signal.SIGKILL
    assert failed > 0  # b died during the burst: its later requests got no answer
    stored = _stored(a, conversation_id)
    assert [position for position, _ in stored] == list(range(1, len(stored) + 1))
    assert len({answer_id for _, answer_id in stored}) == len(stored)
    assert set(acknowledged) <= {answer_id for _, answer_id in stored}  # every acknowledged turn is there
    after = a.ask(QUESTIONS[1], conversation_id)  # the survivor goes on with the conversation
    assert after.status_code == 200 and after.json()["position"] == len(stored) + 1


def test_without_server_binaries_the_postgres_tests_fail_when_required(monkeypatch):
    import tests.postgres_server as plugin

    monkeypatch.setattr(plugin, "server_binaries", lambda: None)
    monkeypatch.setenv(plugin.REQUIRE, "1")
    with pytest.raises(pytest.fail.Exception, match="no PostgreSQL server binaries"):
        next(plugin.running_server())
    monkeypatch.setenv(plugin.REQUIRE, "0")
    with pytest.raises(pytest.skip.Exception):
        next(plugin.running_server())
