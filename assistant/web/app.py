"""The web app factory: FastAPI + Jinja2 + htmx over the same Assistant the CLI uses.

Owns assembling the app: loading the model and index once at start-up (lifespan; a prebuilt
``Assistant`` can be handed in, as tests and ``score-assistant serve`` do), opening the database
(and migrating it unless told that ``score-assistant db upgrade`` did), the templates and static
files of ``web/``, the middleware (body size limit, security headers), the mapping of domain errors
to 4xx JSON responses, and which routers are mounted. Routes live in ``assistant/web/routers``, each
declaring its security policy; the core never imports this package.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from assistant import __version__
from assistant.config import Settings
from assistant.db.chat_store import ChatStore
from assistant.db.engine import UnknownRecord
from assistant.qa.passages import UnknownPassage
from assistant.qa.service import Assistant
from assistant.search.filters import QuestionError, shown
from assistant.templating import environment, web_dir
from assistant.web.conversation import Chat, UnknownConversation
from assistant.web.middleware import BodySizeLimit, SecurityHeaders


def default_routers() -> list[APIRouter]:
    """The HTML chat, the JSON API, the evaluation pages, the API docs and the health check."""
    from assistant.web.routers import api, chat, docs, eval, health

    return [chat.router, api.router, health.router, eval.router, eval.report_router, docs.router]


def _readable(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
    if error.get("type") == "json_invalid":
        return f"the request body is not valid JSON ({error.get('ctx', {}).get('error', 'cannot be parsed')})"
    return f"{where}: {error.get('msg', 'invalid value')}"


def _install_error_handlers(app: FastAPI) -> None:
    async def bad_input(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": shown(exc)}, status_code=400)

    async def not_found(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": shown(exc)}, status_code=404)

    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        # Only where and what: the rejected input itself may be NaN or hold lone surrogates, which no
        # JSON response can carry.
        errors = [{"loc": [shown(part) for part in e.get("loc", ())], "msg": shown(e.get("msg", "")),
                   "type": e.get("type")} for e in exc.errors()]
        detail = "; ".join(_readable(e) for e in errors) or "invalid request"
        return JSONResponse({"detail": detail, "errors": errors}, status_code=422)

    app.add_exception_handler(QuestionError, bad_input)
    for missing in (UnknownConversation, UnknownRecord, UnknownPassage):
        app.add_exception_handler(missing, not_found)
    app.add_exception_handler(RequestValidationError, invalid_request)


def create_app(
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    routers: Sequence[APIRouter] | None = None,
    migrate: bool = True,
) -> FastAPI:
    """The web app. Loads the Assistant (unless given) and opens the database at start-up, bringing
    it to the latest migration unless ``migrate`` is False (``db upgrade`` ran before the workers)."""
    settings = settings or Settings()
    folder = web_dir(settings.web.web_dir)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = assistant or await run_in_threadpool(Assistant, settings)
        store = await run_in_threadpool(ChatStore.open, settings, migrate)
        app.state.chat = Chat(loaded, store)
        try:
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
    app.add_middleware(BodySizeLimit, max_bytes=settings.web.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    for router in routers if routers is not None else default_routers():
        app.include_router(router)
    return app
