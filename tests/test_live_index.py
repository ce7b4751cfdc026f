"""A running app picks up the index build that ``ingest`` swaps in, without a restart and without
mixing two builds in one answer: real model, real small index, a second real ingest into the same folder."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.db.chat_store import ChatStore
from assistant.ingest.build import ingest
from assistant.qa.service import Assistant
from assistant.search.index import current_path
from assistant.web.app import create_app, default_routers
from assistant.web.conversation import Chat
from assistant.web.deps import ChatDep, IndexDep
from assistant.web.live_index import LiveIndex, build_name, live_build
from tests.builders import write_small_corpus

NEW_DOC = "beekeeping-note"
BEEKEEPING = """\
# SCORE Beekeeping Note 2031

## Africa

### Zambia

#### Beekeepers join SCORE

Forty beekeeping cooperatives in Zambia completed the Workplace Cooperation module in 2031.
Each cooperative now shares twelve hives with a neighbouring school.
"""
QUERY = "beekeeping cooperatives in Zambia"
# The in-flight request of the last test waits on these; the timeout only keeps a broken test from hanging.
entered, release = threading.Event(), threading.Event()
slow = APIRouter()


@slow.get("/probe/slow-search")
def slow_search(chat: ChatDep, index: IndexDep) -> dict:
    entered.set()
    release.wait(timeout=120)
    _, passages = chat.search(QUERY)
    return {"chat_build": chat.assistant.index.path.name, "index_build": index.path.name,
            "doc_ids": [p.chunk.doc_id for p in passages], "documents": sorted(index.documents)}


@pytest.fixture
def settings(tmp_path, embedder) -> Settings:
    """A small index of its own, which the tests rebuild, and an app database."""
    settings = Settings(
        corpus_dir=write_small_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index"
    ).replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    assert ingest(settings, embedder=embedder).ok
    return settings


@pytest.fixture
def app(settings, embedder):
    return create_app(settings, Assistant(settings, embedder=embedder), routers=[*default_routers(), slow])


def add_beekeeping_and_ingest(settings: Settings, embedder) -> str:
    """A changed corpus ingested into the same index folder, as `score-assistant ingest` does; the new build's name."""
    (settings.corpus_dir / f"{NEW_DOC}.md").write_text(BEEKEEPING, encoding="utf-8")
    result = ingest(settings, embedder=embedder)
    assert result.ok, result.failures
    return result.stats.path.name


def searched_doc_ids(client: TestClient) -> list[str]:
    return [p["doc_id"] for p in client.get("/api/search", params={"q": QUERY}).json()["passages"]]


def test_the_next_requests_answer_from_the_new_build_facets_included(app, settings, embedder):
    with TestClient(app) as client:
        old = client.get("/healthz").json()["index"]
        assert NEW_DOC not in searched_doc_ids(client)
        assert NEW_DOC not in client.get("/api/facets").json()["document"]

        new = add_beekeeping_and_ingest(settings, embedder)
        assert new != old and live_build(settings.index_dir) == new
        client.get("/healthz")  # notices the new build and starts loading it in the background
        app.state.live.wait()

        assert client.get("/healthz").json()["index"] == new
        assert searched_doc_ids(client)[0] == NEW_DOC
        answer = client.post("/api/ask", json={"question": "How many beekeeping cooperatives in Zambia were trained?"})
        assert answer.json()["passages"][0]["doc_id"] == NEW_DOC
        assert client.get("/api/facets").json()["document"][NEW_DOC] >= 1
        assert NEW_DOC in {d["doc_id"] for d in client.get("/api/documents").json()}


def test_a_request_in_flight_finishes_on_the_build_it_started_with(app, settings, embedder):
    entered.clear()
    release.clear()
    with TestClient(app) as client, ThreadPoolExecutor(1) as pool:
        old = client.get("/healthz").json()["index"]
        in_flight = pool.submit(client.get, "/probe/slow-search")
        assert entered.wait(timeout=120)

        new = add_beekeeping_and_ingest(settings, embedder)
        client.get("/healthz")
        app.state.live.wait()
        assert client.get("/healthz").json()["index"] == new  # later requests already use the new build
        release.set()

        finished = in_flight.result(timeout=120).json()
        assert finished["chat_build"] == finished["index_build"] == old
        assert NEW_DOC not in finished["doc_ids"] and NEW_DOC not in finished["documents"]
        assert searched_doc_ids(client)[0] == NEW_DOC


def test_a_build_that_cannot_be_loaded_is_logged_once_and_the_old_one_kept(app, settings, caplog):
    caplog.set_level(logging.INFO, logger="assistant.web.live_index")
    with TestClient(app) as client:
        old = client.get("/healthz").json()["index"]
        # A build made with another model, swapped in as ingest swaps (an atomic rename of the link).
        broken = settings.index_dir / "build-other-model"
        broken.mkdir()
        manifest = json.loads((current_path(settings.index_dir) / "manifest.json").read_text())
        manifest["model"]["name"] = "another/model"
        (broken / "manifest.json").write_text(json.dumps(manifest))
        link = settings.index_dir / ".current-test"
        os.symlink(broken.name, link)
        os.replace(link, current_path(settings.index_dir))

        for _ in range(3):
            assert client.get("/healthz").json()["index"] == old
            app.state.live.wait()
        assert client.get("/api/search", params={"q": QUERY}).status_code == 200
        errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "build-other-model" in errors[0] and "another/model" in errors[0]


def test_an_idle_app_loads_the_new_build_before_its_next_request(settings, embedder):
    store = ChatStore.open(settings)
    live = LiveIndex(Chat(Assistant(settings, embedder=embedder), store))
    old = build_name(live.chat)
    new = add_beekeeping_and_ingest(settings, embedder)

    async def idle_until_loaded() -> None:
        async with live.watching(every_s=0.01):  # no request comes meanwhile
            while build_name(live.chat) == old:
                await asyncio.sleep(0.01)

    try:
        asyncio.run(asyncio.wait_for(idle_until_loaded(), timeout=120))  # the timeout only stops a broken test
        assert build_name(live.chat) == new and NEW_DOC in live.chat.facets["document"]
    finally:
        store.database.dispose()


def test_without_an_index_link_there_is_no_live_build(tmp_path):
    assert live_build(tmp_path) is None


def test_loading_reads_every_file_from_the_build_the_link_named_first(settings, embedder, monkeypatch):
    """The link is swapped by a new ingest right after the loader read the manifest: the loaded index is
    still the old build throughout (its manifest, chunks and vectors), never a mix of the two."""
    from assistant.search import index as index_module

    old = "kept-old-build"  # a copy: ingest deletes the builds named build-* once it swapped past them
    shutil.copytree(current_path(settings.index_dir).resolve(), settings.index_dir / old)
    new = add_beekeeping_and_ingest(settings, embedder)
    link = current_path(settings.index_dir)
    os.replace(_link_to(settings, old), link)  # back to the old build, as before the new ingest
    read = index_module._manifest_of

    def read_then_swap(build):
        manifest = read(build)
        os.replace(_link_to(settings, new), link)  # ingest swaps the link while the old build loads
        return manifest

    monkeypatch.setattr(index_module, "_manifest_of", read_then_swap)
    loaded = Assistant(settings, embedder=embedder).index
    assert loaded.path.name == old and live_build(settings.index_dir) == new
    assert NEW_DOC not in loaded.documents
    assert {c.doc_id for c in loaded.chunks} == set(loaded.documents)
    assert loaded.dense.ntotal == len(loaded.chunks)


def _link_to(settings: Settings, build: str):
    """A new link to ``build`` beside ``index/current``, to rename over it (atomic, as ingest swaps)."""
    temporary = settings.index_dir / f".link-{build}"
    os.symlink(build, temporary)
    return temporary
