"""The review queue for moderators and administrators: ``/moderate`` and the actions on its items.

Each item shows what a moderator needs to judge it: the question, the conversation before it, the
answer given with its citations, and the retrieved passages (``web.moderation_views``). Filters:
reason, country, a date range (whole days, UTC) and "assigned to me". Actions, each a form with its
CSRF token that works without JavaScript (answered by a redirect back to the queue) and with htmx
(answered by the item, redrawn): write a curated answer from the item (the editor,
``routers.moderate_curated``), attach its question as a phrasing of an existing curated answer,
dismiss it with a reason, or assign it to one person. Thin: ``ModerationQueue`` and
``CurationStore`` do the work and audit it.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import RedirectResponse, Response

from assistant.db.accounts_store import AccountsStore
from assistant.db.curation_records import CurationError
from assistant.db.engine import UnknownRecord
from assistant.db.moderation_queue import ModerationQueue
from assistant.db.queue_feed import feed_queue
from assistant.web.auth import safe_next
from assistant.web.conversation import Chat
from assistant.web.curation_deps import actor_of, curation_store, refusal_status
from assistant.web.deps import ChatDep, TemplatesDep, UserDep
from assistant.web.errors import error_page, error_responses
from assistant.web.moderation_views import QUEUE_REASONS, curated_summary, owners, queue_entry
from assistant.web.routers.moderate_audit import MODERATORS, BadAuditFilter, FilterText, audit_query
from assistant.web.schemas import MAX_COMMENT_CHARS, MAX_ID, Text
from assistant.web.security import secured_router

router = secured_router(MODERATORS, include_in_schema=False)

QUEUE_LIMIT = 100
ItemId = Annotated[int, Form(ge=1, le=MAX_ID)]
NextField = Annotated[str, Form(max_length=2000)]


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _context(chat: Chat, request: Request, item_ids: list[int] | None = None, **filters: Any) -> dict[str, Any]:
    """What the queue page (or one of its items) shows: the items, the people and answers to pick."""
    queue, index = ModerationQueue(chat.store.database), chat.assistant.index
    people = owners(AccountsStore(chat.store.database).accounts())
    names = {a.id: a.email for a in people if a.id is not None}
    items = [queue.item(i) for i in item_ids] if item_ids is not None else queue.items(limit=QUEUE_LIMIT, **filters)
    curated = [curated_summary(r) for r in curation_store(chat, request).list() if r.status != "retired"]
    return {"entries": [queue_entry(queue.view(i.id), index, names) for i in items], "people": people,
            "curated": curated, "reasons": QUEUE_REASONS}


@router.get("/moderate", responses=error_responses(400, 422))
def queue_page(
    request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep, reason: FilterText = "",
    country: FilterText = "", since: FilterText = "", until: FilterText = "", mine: FilterText = "",
    status: FilterText = "open", flash: FilterText = "",
) -> Response:
    chosen = {"reason": reason, "country": country, "since": since, "until": until, "mine": mine, "status": status}
    try:
        dates = audit_query("", "", "", "", since, until)
    except BadAuditFilter as exc:
        return error_page(request, str(exc), 400)
    if reason and reason not in QUEUE_REASONS:
        return error_page(request, f"unknown reason {reason!r}: the reasons are {', '.join(QUEUE_REASONS)}", 400)
    if status not in ("open", "done", "dismissed", "all"):
        return error_page(request, "status is open, done, dismissed or all", 400)
    feed_queue(chat.store.database)  # what the chat stored since the last look becomes items (once each)
    context = _context(chat, request, kind=reason or None, country=country or None, since=dates.since,
                       until=dates.until, assigned_to=user.id if mine else None,
                       status=None if status == "all" else status)
    context.update(chosen=chosen, countries=sorted(chat.facets.get("country", {})), flash=flash,
                   back=request.url.path + (f"?{request.url.query}" if request.url.query else ""))
    return templates.TemplateResponse(request, "moderate_queue.html", context)


def _after(request: Request, templates: TemplatesDep, chat: Chat, item_id: int, back: str, done: str,
           error: CurationError | None = None) -> Response:
    """htmx: the item redrawn (with the error, if any); a plain form: back to the queue, or its error page."""
    status_code = 200 if error is None else refusal_status(error)
    if _htmx(request):
        context = {**_context(chat, request, [item_id]), "back": back, "item_error": error and str(error),
                   "item_flash": done}
        context["entry"] = context["entries"][0]
        return templates.TemplateResponse(request, "_queue_item.html", context, status_code=status_code)
    if error is not None:
        return error_page(request, str(error), status_code)
    target = safe_next(back or "/moderate")
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}{urlencode({'flash': done})}#item-{item_id}", status_code=303)


def _act(request: Request, templates: TemplatesDep, chat: Chat, item_id: int, back: str, done: str,
         action: Any) -> Response:
    try:
        action()
    except UnknownRecord as exc:
        return error_page(request, str(exc), 404)
    except CurationError as exc:
        return _after(request, templates, chat, item_id, back, done, exc)
    return _after(request, templates, chat, item_id, back, done)


@router.post("/moderate/items/{item_id}/dismiss", responses=error_responses(404, 409, 422))
def dismiss(
    item_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep,
    reason: Annotated[Text, Form(max_length=MAX_COMMENT_CHARS)] = "", back: NextField = "/moderate",
) -> Response:
    queue = ModerationQueue(chat.store.database)
    return _act(request, templates, chat, item_id, back, f"Item {item_id} dismissed.",
                lambda: queue.dismiss(actor_of(request, user), item_id, reason))


@router.post("/moderate/items/{item_id}/assign", responses=error_responses(404, 409, 422))
def assign(
    item_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep, user_id: ItemId,
    back: NextField = "/moderate",
) -> Response:
    queue = ModerationQueue(chat.store.database)
    return _act(request, templates, chat, item_id, back, f"Item {item_id} assigned.",
                lambda: queue.assign(actor_of(request, user), item_id, user_id))


@router.post("/moderate/items/{item_id}/attach", responses=error_responses(404, 409, 422))
def attach(
    item_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep, curated_id: ItemId,
    back: NextField = "/moderate",
) -> Response:
    """The item's question becomes a phrasing of an existing curated answer, and the item is done."""
    queue, store = ModerationQueue(chat.store.database), curation_store(chat, request)

    def attach_question() -> None:
        store.add_phrasing(actor_of(request, user), curated_id, queue.question_of(item_id), from_item=item_id)

    return _act(request, templates, chat, item_id, back, f"Question attached to curated answer {curated_id}.",
                attach_question)

