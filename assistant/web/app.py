"""The web app factory: FastAPI + Jinja2 + htmx over the same Assistant the CLI uses.

Owns assembling the app: loading the model and index once at start-up (lifespan; a prebuilt
``Assistant`` can be handed in, as tests and ``score-assistant serve`` do) and following the index
builds swapped in later (``web.live_index``), opening the database (and migrating it unless told
that ``score-assistant db upgrade`` did), the templates and static files of ``web/``, the
middleware (access log, body size limit, security headers), the error handlers
(``web.errors``), and which routers are mounted. Routes live in ``assistant/web/routers``, each
declaring its security policy; the core never imports this package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from assistant import __version__
from assistant.config import Settings
from assistant.curation.source import with_curated_answers
from assistant.db.chat_store import ChatStore
from assistant.qa.service import Assistant
from assistant.templating import environment, web_dir
from assistant.web.access_log import AccessLog
from assistant.web.conversation import Chat
from assistant.web.db_errors import install_database_errors
from assistant.web.errors import install_error_handlers
from assistant.web.live_index import LiveIndex, check_curated
from assistant.web.middleware import BodySizeLimit, HeadAsGet, SecurityHeaders
from assistant.web.sessions import SessionCookies, secret_key


def default_routers() -> list[APIRouter]:
    """The HTML chat, the JSON API, the evaluation pages, the API docs, the health check and signing in."""
    from assistant.web.routers import (
        api,
        auth,
        chat,
        collections,
        collections_api,
        curated_api,
        curated_testset,
        docs,
        eval,
        exports,
        health,
        library,
        moderate,
        moderate_audit,
        moderate_curated,
    )

    # The moderators' routes come before eval's ``/eval/{name}``, which would take ``/eval/curated-testset.jsonl``.
    return [chat.router, api.router, health.router, moderate.router, moderate_curated.router, moderate_audit.router,
            curated_testset.router, eval.router, eval.report_router,
            docs.router, auth.router, auth.api_router, library.router, library.api_router, collections.router,
            collections.shared_router, collections_api.router, curated_api.router, curated_api.testset_router,
            exports.router]


def create_app(
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    routers: Sequence[APIRouter] | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The web app. Loads the Assistant (unless given) and opens the database at start-up, bringing
    it to the latest migration unless ``migrate`` is False (``db upgrade`` ran before the workers).
    A new index build swapped in by ``ingest`` is loaded while the app runs (``web.live_index``)."""
    settings = settings or Settings()
    folder = web_dir(settings.web.web_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = assistant or await run_in_threadpool(Assistant, settings)
        store = await run_in_threadpool(ChatStore.open, settings, migrate)
        await run_in_threadpool(check_curated, store.database, loaded.index)  # a build ingested while stopped
        loaded = await run_in_threadpool(with_curated_answers, loaded, store.database)  # curated answers first
        live = app.state.live = await run_in_threadpool(LiveIndex, Chat(loaded, store))
        try:
            async with live.watching():
                yield
        finally:
            store.database.dispose()

    app = FastAPI(
        title="SCORE Assistant",
        version=__version__,
        summary="Cited answers from ILO SCORE publications for SCORE trainers.",
        lifespan=lifespan,
        # The docs pages are served by routers.docs, under the policy that router declares.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.templates = Jinja2Templates(env=environment(folder))
    app.mount("/static", StaticFiles(directory=folder / "static"), name="static")
    # Starlette runs the last-added middleware first: headers go on every response, the 413 included.
    app.add_middleware(SessionCookies, key=secret_key(settings))  # innermost: the routes read the session
    app.add_middleware(HeadAsGet)
    app.add_middleware(BodySizeLimit, max_bytes=settings.web.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)  # outermost of ours: its latency and status are what the client got
    install_error_handlers(app)
    install_database_errors(app)
    for router in routers if routers is not None else default_routers():
        app.include_router(router)
    return app
