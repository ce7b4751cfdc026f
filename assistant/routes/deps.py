"""Request dependencies: the objects the app loaded once at start-up, handed to each route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from assistant.conversation import Chat
from assistant.index import LoadedIndex


def get_chat(request: Request) -> Chat:
    return request.app.state.chat


def get_index(request: Request) -> LoadedIndex:
    return request.app.state.chat.assistant.index


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


ChatDep = Annotated[Chat, Depends(get_chat)]
IndexDep = Annotated[LoadedIndex, Depends(get_index)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
