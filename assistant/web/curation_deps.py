"""What a curation route needs, made once per request: who acts (for the audit log), the curated
answers' store (with the second-review rule of the settings), and the service that grounds quotes in
the index build the request answers from, and the status of a refusal (the one ``web.errors``
answers with). Used by the moderators' pages and the curation API alike."""

from __future__ import annotations

from fastapi import Request

from assistant.curation.service import CurationService
from assistant.db.audit import Actor
from assistant.db.curation_records import CurationError
from assistant.db.curation_store import CurationStore
from assistant.models import User
from assistant.web.auth import client_address
from assistant.web.conversation import Chat
from assistant.web.errors import status_of


def actor_of(request: Request, user: User) -> Actor:
    """The signed-in user and their address, as the audit log names them."""
    return Actor.of(user, client_address(request))


def curation_store(chat: Chat, request: Request) -> CurationStore:
    return CurationStore(chat.store.database, request.app.state.settings.web.require_second_review)


def curation_service(chat: Chat, request: Request) -> CurationService:
    """Curated answers grounded in the index build this request answers from."""
    return CurationService(curation_store(chat, request), chat.assistant.index)


def refusal_status(exc: CurationError) -> int:
    """The status of a refused curation change, as the API answers it (``web.errors``): 409 for a
    conflict with what exists, 403 when the second-review rule forbids it, 422 for unusable input."""
    return status_of(exc) or 422
