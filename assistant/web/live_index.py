"""The live index build of a running app: noticing a new build, loading it aside, swapping it in.

Owns which ``Chat`` (one Assistant over one index build) a request gets. ``ingest`` writes a new
build and swaps the ``index/current`` link; each request reads that link (one ``readlink``, no file
is opened), and when it names another build, one background thread loads it with the same embedding
model while requests go on answering from the old one. The new ``Chat`` replaces the old by one
reference assignment, so a request, which takes its ``Chat`` once at its start, never mixes two
builds. While the app runs, the link is also read every few seconds without any request, so a worker
that was idle answers its next request from the new build. A build that cannot be loaded is logged
and left alone until the link moves again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from assistant.curation.staleness import check_sources
from assistant.db.engine import Database
from assistant.qa.service import Assistant
from assistant.search.index import IndexProblem, LoadedIndex, current_path
from assistant.web.conversation import Chat

logger = logging.getLogger(__name__)

# What loading a build can fail with when the build is bad or was deleted while it loaded (a newer
# ingest swapped in meanwhile): faiss raises RuntimeError. Anything else is a bug and is not caught.
LOAD_ERRORS = (IndexProblem, OSError, sqlite3.Error, RuntimeError, ValueError)
WATCH_EVERY_S = 2.0  # how long an idle worker may lag behind a new build; each look is one readlink


def live_build(index_dir: Path) -> str | None:
    """The name of the build ``index/current`` points to (None when there is no link)."""
    try:
        return Path(os.readlink(current_path(index_dir))).name
    except OSError:
        return None


def check_curated(database: Database, index: LoadedIndex) -> None:
    """Take out of service the curated answers whose quoted passages this build changed or removed
    (``curation.staleness``); a database that cannot be used is logged, never stops the build loading."""
    try:
        check_sources(database, index)
    except SQLAlchemyError as exc:
        logger.error("cannot check curated answers against index build %s: %s", index.path.name, exc)


def build_name(chat: Chat) -> str:
    return chat.assistant.index.path.name


def warm(chat: Chat) -> Chat:
    """Compute now every value a Chat and its index compute on first use, before requests share them:
    two first uses at once would compute it twice (and ``cached_property`` has no lock from Python 3.12)."""
    index = chat.assistant.index
    _ = chat.facets, chat.library, index.terms, index.countries, index.words, index.country_rows, index.region_rows
    return chat


class LiveIndex:
    """The Chat of the newest loadable index build; ``current()`` is what each request answers with."""

    def __init__(self, chat: Chat) -> None:
        self._chat = warm(chat)
        self._guard = threading.Lock()  # one loader at a time
        self._loader: threading.Thread | None = None
        self._unloadable: str | None = None  # a build that failed to load, not tried again

    @property
    def chat(self) -> Chat:
        """The Chat of the newest build loaded so far (without looking for a newer one)."""
        return self._chat

    def current(self) -> Chat:
        """The Chat to answer one request with, from start to end; starts loading a newer build if any."""
        chat = self._chat
        live = live_build(chat.assistant.settings.index_dir)
        if live is not None and live != build_name(chat) and live != self._unloadable:
            self._start_loading()
        return chat

    @asynccontextmanager
    async def watching(self, every_s: float = WATCH_EVERY_S) -> AsyncIterator[None]:
        """While inside, look for a new build every ``every_s`` seconds, requests or not."""

        async def watch() -> None:
            while True:
                await asyncio.sleep(every_s)
                self.current()

        watcher = asyncio.create_task(watch())
        try:
            yield
        finally:
            watcher.cancel()

    def wait(self) -> None:
        """Return when the build being loaded, if any, is loaded (or failed to)."""
        loader = self._loader
        if loader is not None:
            loader.join()

    def _start_loading(self) -> None:
        with self._guard:
            if self._loader is not None and self._loader.is_alive():
                return
            self._loader = threading.Thread(target=self._load, name="index-loader", daemon=True)
            self._loader.start()

    def _load(self) -> None:
        old = self._chat
        wanted = live_build(old.assistant.settings.index_dir)
        try:
            assistant = Assistant(old.assistant.settings, embedder=old.assistant.embedder, first=old.assistant.first)
        except LOAD_ERRORS as exc:
            self._unloadable = wanted
            logger.error("cannot load index build %s, still answering from %s: %s", wanted, build_name(old), exc)
            return
        check_curated(old.store.database, assistant.index)  # before the build answers anyone
        self._chat = warm(Chat(assistant, old.store))
        self._unloadable = None
        logger.info("now answering from index build %s (was %s)", build_name(self._chat), build_name(old))
