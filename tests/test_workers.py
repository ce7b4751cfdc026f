"""Many trainers at once: the answer path is thread-safe without a global lock, and
``score-assistant serve --workers 2`` builds the index and migrates the database once, then serves
from two worker processes that log one JSON access line per request."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.db.chat_store import ChatStore
from assistant.qa.presenters import answer_dict
from assistant.text import tokens
from assistant.text.tokens import tokenize
from assistant.web.conversation import Chat
from assistant.web.server import listening_socket
from tests.builders import SMALL_UPDATE
from tests.serving import serve_small_corpus

QUESTIONS = (
    "How many enterprises paid the full training cost in Myanmar?",
    "How did the trainers convince owners?",
    "Who financed the training of small suppliers in Peru?",
    "How were complaints from women workers handled in Egypt?",
    "How can a small enterprise cut its electricity bill?",
    "Which businesses went first in Ghana?",
)


def test_tokenizing_in_many_threads_at_once_gives_what_one_thread_gives():
    texts = [line for line in SMALL_UPDATE.splitlines() if line.strip()] * 20
    alone = [tokenize([text]) for text in texts]
    start = threading.Barrier(8)

    def tokenize_all(offset: int) -> list[list[list[str]]]:
        start.wait()  # all threads stem at the same moment, each with its own stemmer
        order = texts[offset:] + texts[:offset]
        found = [tokenize([text]) for text in order]
        return found[-offset:] + found[:-offset]  # back in the order of ``texts``

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(tokenize_all, range(8)))
    assert all(result == alone for result in results)


def test_each_thread_stems_with_a_stemmer_of_its_own():
    # PyStemmer documents its stemmers as not thread-safe, so threads never share one.
    together = threading.Barrier(4)

    def stemmers_of_this_thread(_: int):
        together.wait()  # four tasks at once: four different threads
        return tokens._stemmer(), tokens._stemmer()

    with ThreadPoolExecutor(4) as pool:
        pairs = list(pool.map(stemmers_of_this_thread, range(4)))
    assert all(first is again for first, again in pairs)  # made once per thread
    assert len({id(first) for first, _ in pairs} | {id(tokens._stemmer())}) == 5  # and never shared


def _without_timings(answer) -> dict:
    return {key: value for key, value in answer_dict(answer).items() if key != "timings_ms"}


def test_one_chat_answers_many_questions_at_once_as_one_by_one(small_assistant, small_settings, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    store = ChatStore.open(settings)
    try:
        chat = Chat(small_assistant, store)
        one_by_one = {q: _without_timings(chat.ask(q).answer) for q in QUESTIONS}
        with ThreadPoolExecutor(8) as pool:
            turns = list(pool.map(chat.ask, QUESTIONS * 4))
        assert [_without_timings(t.answer) for t in turns] == [one_by_one[q] for q in QUESTIONS * 4]
        assert len({t.conversation_id for t in turns}) == len(turns)  # every turn stored, none lost
        assert all(store.conversation(t.conversation_id).turns[0].answer_id == t.answer_id for t in turns)
    finally:
        store.database.dispose()


async def _nodelay_of_an_accepted_connection(listener: socket.socket) -> int:
    loop = asyncio.get_running_loop()
    seen: asyncio.Future[int] = loop.create_future()

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted = transport.get_extra_info("socket")
            seen.set_result(accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    server = await loop.create_server(Probe, sock=listener)
    _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
    try:
        return await seen
    finally:
        writer.close()
        server.close()


def test_the_workers_connections_get_tcp_nodelay():
    # Without it every keep-alive request after the first waits for the client's delayed ACK (~40 ms).
    listener = listening_socket(uvicorn.Config("assistant.web.factory:app_from_environment", host="127.0.0.1", port=0))
    assert listener.proto == socket.IPPROTO_TCP and listener.get_inheritable()
    assert asyncio.run(_nodelay_of_an_accepted_connection(listener)) == 1


def _children(pid: int) -> list[int]:
    """Processes whose parent is ``pid`` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="counts worker processes in /proc")
def test_serve_with_two_workers_builds_and_migrates_once_then_answers(tmp_path):
    with serve_small_corpus(tmp_path, "--workers", "2") as served:
        assert served.health["counts"]["documents"] == 2
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(
                lambda q: httpx.post(f"{served.base}/api/ask", json={"question": q}, timeout=60), QUESTIONS * 2
            ))
        assert [a.status_code for a in answers] == [200] * len(answers)
        assert answers[0].json()["citations"][0]["country"] == "Myanmar"
        children = _children(served.process.pid)
        assert len([pid for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]) == 2
        traced = httpx.get(f"{served.base}/api/facets", headers={"X-Request-ID": "trace-42"})
        assert traced.headers["X-Request-ID"] == "trace-42"
    output = served.log.read_text()
    assert output.count("Building the index: no index in") == 1
    assert output.count("Database at revision") == 1  # migrated by serve, never by a worker
    access = [json.loads(line) for line in output.splitlines() if line.startswith('{"request_id"')]
    assert sum(1 for line in access if line["path"] == "/api/ask" and line["status"] == 200) == len(QUESTIONS) * 2
    assert {"request_id": "trace-42", "method": "GET", "path": "/api/facets", "status": 200}.items() <= next(
        line for line in access if line["path"] == "/api/facets"
    ).items()
