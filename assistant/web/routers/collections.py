"""The collections' pages: a facilitator's collections, one collection to edit and export, adding a
story, a citation or chosen sentences to a collection, and the read-only page of a shared link.

Every form is a plain POST answered by a redirect (303), so everything works without JavaScript;
``static/collections.js`` only adds drag-and-drop ordering (posting the same move form) and a
progress bar while an export downloads. The owners' pages are for facilitators, moderators and
admins; the shared page (``shared_router``) is open to anyone holding the link, and changes nothing.
Thin: ``web.collections_service`` and the store do the work.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from assistant.db.collection_items import UnknownStory, find_story
from assistant.db.collections_store import MAX_ITEMS, MAX_NOTE_CHARS, MAX_TITLE_CHARS
from assistant.qa.passages import passage_context
from assistant.web.collections_service import (
    CollectionsDep,
    ExportFormat,
    actor,
    add_picked,
    export_file,
    item_views,
    owner_id,
    share_path,
)
from assistant.web.csrf import csrf_token
from assistant.web.deps import ChatDep, TemplatesDep, UserDep
from assistant.web.schemas import MAX_ID, Text
from assistant.web.security import APP, PUBLIC, secured_router

router = secured_router(APP.only("facilitator", "moderator", "admin"), include_in_schema=False)
shared_router = secured_router(PUBLIC, include_in_schema=False)

CollectionId = Annotated[int, Path(ge=1, le=MAX_ID)]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]
DEFAULT_TITLE = "My collection"
MAX_ID_CHARS = 200
MAX_QUOTE_CHARS = 10_000


def _see(path: str) -> Response:
    return RedirectResponse(path, status_code=303)


def _page(request: Request, templates: TemplatesDep, name: str, context: dict[str, Any]) -> Response:
    csrf_token(request)  # the forms carry it (``_csrf.html``)
    return templates.TemplateResponse(request, name, context)


@router.get("/collections")
def collections_page(request: Request, templates: TemplatesDep, user: UserDep, store: CollectionsDep) -> Response:
    return _page(request, templates, "collections.html", {"collections": store.collections_of(owner_id(user))})


@router.post("/collections")
def create(
    request: Request, user: UserDep, store: CollectionsDep,
    title: Annotated[Text, Form(max_length=MAX_TITLE_CHARS)] = DEFAULT_TITLE,
) -> Response:
    made = store.create(owner_id(user), title, actor(request, user))
    return _see(f"/collections/{made.collection_id}")


@router.get("/collections/add")
def add_page(
    request: Request, templates: TemplatesDep, user: UserDep, store: CollectionsDep, chat: ChatDep,
    story_id: Annotated[str, Query(max_length=MAX_ID_CHARS)] = "",
    chunk_id: Annotated[str, Query(max_length=MAX_ID_CHARS)] = "",
    quote: Annotated[str, Query(max_length=MAX_QUOTE_CHARS)] = "",
    hl: Annotated[list[int] | None, Query()] = None,
) -> Response:
    """Choose the collection (or start one) and, for a passage, the sentences to keep."""
    story = find_story(chat.library, story_id) if story_id else None
    if story_id and story is None:
        raise UnknownStory(f"no story with id {story_id!r}")
    passage = None if story_id else passage_context(chat.assistant.index, chunk_id, hl)
    sentences = [] if passage is None else chat.assistant.index.sentences_of(chunk_id)
    context = {"story": story, "passage": passage, "sentences": sentences, "checked": set(hl or []),
               "quote": quote, "collections": store.collections_of(owner_id(user)), "default_title": DEFAULT_TITLE}
    return _page(request, templates, "collection_add.html", context)


@router.post("/collections/add")
def add(
    request: Request, user: UserDep, store: CollectionsDep, chat: ChatDep,
    collection_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    title: Annotated[Text, Form(max_length=MAX_TITLE_CHARS)] = "",
    story_id: Annotated[Text, Form(max_length=MAX_ID_CHARS)] = "",
    chunk_id: Annotated[Text, Form(max_length=MAX_ID_CHARS)] = "",
    quote: Annotated[Text, Form(max_length=MAX_QUOTE_CHARS)] = "",
    sentence: Annotated[list[int] | None, Form()] = None,
    note: Annotated[Text, Form(max_length=MAX_NOTE_CHARS)] = "",
) -> Response:
    """Add to the chosen collection, or to a new one named ``title`` when none is chosen."""
    owner = owner_id(user)
    if collection_id is None:
        collection_id = store.create(owner, title.strip() or DEFAULT_TITLE, actor(request, user)).collection_id
    item, _ = add_picked(chat, store, request, user, collection_id, story_id=story_id or None,
                         chunk_id=chunk_id or None, quote_text=quote or None, positions=sentence, note=note)
    return _see(f"/collections/{collection_id}#item-{item.item_id}")


@router.get("/collections/{collection_id}")
def collection_page(
    collection_id: CollectionId, request: Request, templates: TemplatesDep, user: UserDep, store: CollectionsDep,
    chat: ChatDep,
) -> Response:
    collection = store.collection(owner_id(user), collection_id)
    context = {"collection": collection, "items": item_views(chat, collection), "editable": True,
               "share_url": share_path(collection.share_token), "export_base": f"/collections/{collection_id}/export",
               "max_note": MAX_NOTE_CHARS, "max_title": MAX_TITLE_CHARS}
    return _page(request, templates, "collection.html", context)


@router.get("/collections/{collection_id}/export")
def export(
    collection_id: CollectionId, user: UserDep, store: CollectionsDep, chat: ChatDep,
    format: Annotated[ExportFormat, Query()] = "docx",
) -> Response:
    return export_file(chat, store.collection(owner_id(user), collection_id), format)


@router.post("/collections/{collection_id}/rename")
def rename(
    collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep,
    title: Annotated[Text, Form(max_length=MAX_TITLE_CHARS)] = "",
) -> Response:
    store.rename(owner_id(user), collection_id, title, actor(request, user))
    return _see(f"/collections/{collection_id}")


@router.post("/collections/{collection_id}/duplicate")
def duplicate(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> Response:
    copy = store.duplicate(owner_id(user), collection_id, actor(request, user))
    return _see(f"/collections/{copy.collection_id}")


@router.post("/collections/{collection_id}/delete")
def delete(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> Response:
    store.delete(owner_id(user), collection_id, actor(request, user))
    return _see("/collections")


@router.post("/collections/{collection_id}/share")
def share(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> Response:
    store.share(owner_id(user), collection_id, actor(request, user))
    return _see(f"/collections/{collection_id}#share")


@router.post("/collections/{collection_id}/unshare")
def unshare(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> Response:
    store.unshare(owner_id(user), collection_id, actor(request, user))
    return _see(f"/collections/{collection_id}#share")


@router.post("/collections/{collection_id}/items/{item_id}/note")
def set_note(
    collection_id: CollectionId, item_id: ItemId, request: Request, user: UserDep, store: CollectionsDep,
    note: Annotated[Text, Form(max_length=MAX_NOTE_CHARS)] = "",
) -> Response:
    store.set_note(owner_id(user), collection_id, item_id, note, actor(request, user))
    return _see(f"/collections/{collection_id}#item-{item_id}")


@router.post("/collections/{collection_id}/items/{item_id}/move")
def move(
    collection_id: CollectionId, item_id: ItemId, request: Request, user: UserDep, store: CollectionsDep,
    position: Annotated[int, Form(ge=-1, le=MAX_ITEMS)],
) -> Response:
    """Put the item at ``position`` (0 is first; the "up" button of the first item sends -1: it stays)."""
    store.move_item(owner_id(user), collection_id, item_id, max(position, 0), actor(request, user))
    return _see(f"/collections/{collection_id}#item-{item_id}")


@router.post("/collections/{collection_id}/items/{item_id}/remove")
def remove(
    collection_id: CollectionId, item_id: ItemId, request: Request, user: UserDep, store: CollectionsDep
) -> Response:
    store.remove_item(owner_id(user), collection_id, item_id, actor(request, user))
    return _see(f"/collections/{collection_id}")


@shared_router.get("/shared/{token}")
def shared_page(
    token: Annotated[str, Path(max_length=100)], request: Request, templates: TemplatesDep,
    store: CollectionsDep, chat: ChatDep,
) -> Response:
    """A shared collection, read-only: no form on it changes anything."""
    collection = store.shared(token)
    context = {"collection": collection, "items": item_views(chat, collection), "editable": False,
               "share_url": share_path(token), "export_base": f"{share_path(token)}/export"}
    return templates.TemplateResponse(request, "collection.html", context)


@shared_router.get("/shared/{token}/export")
def shared_export(
    token: Annotated[str, Path(max_length=100)], store: CollectionsDep, chat: ChatDep,
    format: Annotated[ExportFormat, Query()] = "docx",
) -> Response:
    return export_file(chat, store.shared(token), format)
