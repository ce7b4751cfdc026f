"""Request dependencies: what the app loaded at start-up, and who is asking, handed to each route.

A request takes the live ``Chat`` once (FastAPI resolves a dependency once per request), and its
index comes from that same ``Chat``: every part of one response is served from one index build,
even when a new build is swapped in meanwhile (``assistant.web.live_index``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates

from assistant.db.accounts_store import AccountsStore
from assistant.models import User
from assistant.search.index import LoadedIndex
from assistant.web.auth import authenticate
from assistant.web.conversation import Chat


def get_chat(request: Request) -> Chat:
    return request.app.state.live.current()


ChatDep = Annotated[Chat, Depends(get_chat)]


def get_index(chat: ChatDep) -> LoadedIndex:
    return chat.assistant.index


def get_templates(request: Request) -> Jinja2Templates:
    return request.app.state.templates


def get_accounts(chat: ChatDep) -> AccountsStore:
    return AccountsStore(chat.store.database)


AccountsDep = Annotated[AccountsStore, Depends(get_accounts)]


def current_user(request: Request, accounts: AccountsDep) -> User:
    """Who is asking: the user of the bearer token or the signed-in session; else an anonymous trainer."""
    return authenticate(request, accounts)


IndexDep = Annotated[LoadedIndex, Depends(get_index)]
TemplatesDep = Annotated[Jinja2Templates, Depends(get_templates)]
UserDep = Annotated[User, Depends(current_user)]
