"""Request dependencies: what the app loaded once at start-up, and who is asking, handed to each route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from assistant.models import ANONYMOUS_TRAINER, User
from assistant.search.index import LoadedIndex
from assistant.web.conversation import Chat


def get_chat(request: Request) -> Chat:
    return request.app.state.chat


def get_index(request: Request) -> LoadedIndex:
    return request.app.state.chat.assistant.index


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


def current_user(request: Request) -> User:
    """Who is asking. Without accounts every visitor is an anonymous trainer; sign-in replaces this."""
    return ANONYMOUS_TRAINER


ChatDep = Annotated[Chat, Depends(get_chat)]
IndexDep = Annotated[LoadedIndex, Depends(get_index)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
UserDep = Annotated[User, Depends(current_user)]
