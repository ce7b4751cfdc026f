"""The web app factory: FastAPI + Jinja2 + htmx over the same Assistant the CLI uses.

Owns assembling the app: loading the model and index once at start-up (lifespan; a prebuilt
``Assistant`` can be handed in, as tests and ``score-assistant serve`` do), opening and migrating the
database, the templates and static files of ``web/``, the middleware (body size limit, security
headers), the mapping of domain errors to 4xx JSON responses, and which routers are mounted.
Routes live in ``assistant/routes``; the core never imports this module.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.concurrency import run_in_threadpool

from assistant import __version__
from assistant.config import Settings
from assistant.conversation import Chat, UnknownConversation
from assistant.retrieval import QuestionError
from assistant.routes.middleware import BodySizeLimit, SecurityHeaders
from assistant.routes.passages import UnknownPassage
from assistant.service import Assistant
from assistant.store import Store, UnknownRecord

PROJECT_WEB_DIR = Path(__file__).resolve().parent.parent / "web"


class WebFilesMissing(RuntimeError):
    """The templates/static folder is not where the settings say."""


def web_dir(settings: Settings) -> Path:
    """Settings.web_dir, or the project's ``web/`` folder next to the package."""
    folder = settings.web_dir or PROJECT_WEB_DIR
    if not (folder / "templates").is_dir() or not (folder / "static").is_dir():
        raise WebFilesMissing(f"no templates/ and static/ in {folder}; set SCORE_WEB_DIR to the project's web/ folder")
    return folder


def default_routers() -> list[APIRouter]:
    """The HTML chat, the JSON API and the health check; pass more to ``create_app`` to add pages."""
    from assistant.routes import api, chat, eval_pages

    return [chat.router, api.router, api.health_router, eval_pages.router]


def _readable(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
    if error.get("type") == "json_invalid":
        return f"the request body is not valid JSON ({error.get('ctx', {}).get('error', 'cannot be parsed')})"
    return f"{where}: {error.get('msg', 'invalid value')}"


def _install_error_handlers(app: FastAPI) -> None:
    async def bad_input(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=400)

    async def not_found(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        detail = "; ".join(_readable(e) for e in errors) or "invalid request"
        return JSONResponse({"detail": detail, "errors": jsonable_encoder(errors)}, status_code=422)

    app.add_exception_handler(QuestionError, bad_input)
    for missing in (UnknownConversation, UnknownRecord, UnknownPassage):
        app.add_exception_handler(missing, not_found)
    app.add_exception_handler(RequestValidationError, invalid_request)


def create_app(
    settings: Settings | None = None,
    assistant: Assistant | None = None,
    routers: Sequence[APIRouter] | None = None,
) -> FastAPI:
    """The web app. Loads the Assistant (unless given) and migrates the database at start-up."""
    settings = settings or Settings()
    folder = web_dir(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        loaded = assistant or await run_in_threadpool(Assistant, settings)
        store = await run_in_threadpool(Store.open, settings)
        app.state.chat = Chat(loaded, store)
        try:
            yield
        finally:
            store.dispose()

    app = FastAPI(
        title="SCORE Assistant",
        version=__version__,
        summary="Cited answers from ILO SCORE publications for SCORE trainers.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    environment = Environment(loader=FileSystemLoader(folder / "templates"), autoescape=True, undefined=StrictUndefined)
    app.state.templates = Jinja2Templates(env=environment)
    app.mount("/static", StaticFiles(directory=folder / "static"), name="static")
    # Starlette runs the last-added middleware first: headers go on every response, the 413 included.
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    _install_error_handlers(app)
    for router in routers if routers is not None else default_routers():
        app.include_router(router)
    return app
