"""The collections' JSON API (documented at /docs), for facilitators, moderators and admins.

Thin: each route validates its input, calls the store (``db.collections_store``: ownership, order,
notes, sharing, the audit log) and answers the shapes of ``web.collections_service``. Someone else's
collection is 404, as one that does not exist; an unknown story or passage is 404; a quote that is
not word for word in its passage is 422; a collection over 5,000 items is 413; an unknown export
format is 422 listing the valid ones; a document whose licence forbids the export is 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Path, Query, Request, status
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field, model_validator

from assistant.db.collection_items import ItemStatus, item_status
from assistant.db.collections_store import MAX_ITEMS, MAX_NOTE_CHARS, MAX_TITLE_CHARS
from assistant.export.render import FORMATS
from assistant.web.collections_service import (
    CollectionOut,
    CollectionsDep,
    ExportFormat,
    ItemOut,
    ShareOut,
    actor,
    add_picked,
    collection_out,
    export_file,
    item_out,
    json_of,
    owner_id,
    share_path,
)
from assistant.web.deps import ChatDep, UserDep
from assistant.web.errors import ErrorBody, error_responses
from assistant.web.schemas import MAX_ID, Text
from assistant.web.security import APP, secured_router

router = secured_router(APP.only("facilitator", "moderator", "admin"), prefix="/api/collections",
                        tags=["collections"])

CollectionId = Annotated[int, Path(ge=1, le=MAX_ID, description="The collection's id")]
ItemId = Annotated[int, Path(ge=1, le=MAX_ID, description="The item's id")]
MAX_ID_CHARS = 200
MAX_QUOTE_CHARS = 10_000
_REFUSED = {
    401: {"model": ErrorBody, "description": "Not signed in (send a session cookie or Authorization: Bearer)"},
    403: {"model": ErrorBody, "description": "A role without collections, or a form without its CSRF token"},
}
_FILES = {200: {"description": "The handout file", "content": {media: {} for media in FORMATS.values()}}}


def _responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {**error_responses(*statuses), **_REFUSED}


class CollectionIn(BaseModel):
    title: Text = Field(min_length=1, max_length=MAX_TITLE_CHARS)


class ItemIn(BaseModel):
    """A story (``story_id``), or a passage (``chunk_id``) whole or by a verbatim ``quote``."""

    story_id: Text | None = Field(None, min_length=1, max_length=MAX_ID_CHARS)
    chunk_id: Text | None = Field(None, min_length=1, max_length=MAX_ID_CHARS)
    quote: Text | None = Field(None, max_length=MAX_QUOTE_CHARS, description='Word for word; "…" may leave text out')
    note: Text | None = Field(None, max_length=MAX_NOTE_CHARS, description="The facilitator's own words")

    @model_validator(mode="after")
    def _one_source(self) -> ItemIn:
        if (self.story_id is None) == (self.chunk_id is None):
            raise ValueError("give either story_id or chunk_id")
        if self.story_id is not None and self.quote is not None:
            raise ValueError("a quote goes with a chunk_id, not a story_id")
        return self


class ItemPatch(BaseModel):
    note: Text | None = Field(None, max_length=MAX_NOTE_CHARS, description="The new note; empty clears it")
    position: int | None = Field(None, ge=0, le=MAX_ITEMS, description="Where to move the item (0 is first)")


@router.post("", status_code=status.HTTP_201_CREATED, summary="Start a collection",
             responses=_responses(400, 413, 422, 503))
def create(body: CollectionIn, request: Request, user: UserDep, store: CollectionsDep) -> CollectionOut:
    return collection_out(store.create(owner_id(user), body.title, actor(request, user)))


@router.get("", summary="My collections, the latest changed first", responses=_responses(503))
def mine(user: UserDep, store: CollectionsDep) -> list[CollectionOut]:
    return [collection_out(c) for c in store.collections_of(owner_id(user))]


@router.get("/{collection_id}", summary="A collection with its items and their source status",
            responses=_responses(404, 422, 503))
def one(collection_id: CollectionId, user: UserDep, store: CollectionsDep, chat: ChatDep) -> CollectionOut:
    return collection_out(store.collection(owner_id(user), collection_id), chat)


@router.patch("/{collection_id}", summary="Rename a collection", responses=_responses(400, 404, 413, 422, 503))
def rename(
    collection_id: CollectionId, body: CollectionIn, request: Request, user: UserDep, store: CollectionsDep
) -> CollectionOut:
    return collection_out(store.rename(owner_id(user), collection_id, body.title, actor(request, user)))


@router.delete("/{collection_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete a collection",
               responses=_responses(404, 422, 503))
def delete(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> Response:
    store.delete(owner_id(user), collection_id, actor(request, user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{collection_id}/items", status_code=status.HTTP_201_CREATED, summary="Add a story or a passage",
             responses={200: {"model": ItemOut, "description": "The collection held it already: kept once"},
                        **_responses(400, 404, 413, 422, 503)})
def add(
    collection_id: CollectionId, body: ItemIn, request: Request, user: UserDep, store: CollectionsDep, chat: ChatDep
) -> Any:
    item, created = add_picked(chat, store, request, user, collection_id, story_id=body.story_id,
                               chunk_id=body.chunk_id, quote_text=body.quote, note=body.note)
    out = item_out(item, ItemStatus(False))  # just taken from the index as it stands
    return out if created else JSONResponse(json_of(out), status_code=status.HTTP_200_OK)


@router.patch("/{collection_id}/items/{item_id}", summary="Set an item's note or move it",
              responses=_responses(400, 404, 413, 422, 503))
def change_item(
    collection_id: CollectionId, item_id: ItemId, body: ItemPatch, request: Request, user: UserDep,
    store: CollectionsDep, chat: ChatDep,
) -> ItemOut:
    who, owner = actor(request, user), owner_id(user)
    if "note" in body.model_fields_set:
        store.set_note(owner, collection_id, item_id, body.note, who)
    if body.position is not None:
        store.move_item(owner, collection_id, item_id, body.position, who)
    item = store.item(owner, collection_id, item_id)
    return item_out(item, item_status(item, chat.assistant.index))


@router.delete("/{collection_id}/items/{item_id}", status_code=status.HTTP_204_NO_CONTENT,
               summary="Remove an item", responses=_responses(404, 422, 503))
def remove_item(
    collection_id: CollectionId, item_id: ItemId, request: Request, user: UserDep, store: CollectionsDep
) -> Response:
    store.remove_item(owner_id(user), collection_id, item_id, actor(request, user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{collection_id}/duplicate", status_code=status.HTTP_201_CREATED,
             summary="Copy a collection (items and notes, not its share link)", responses=_responses(404, 422, 503))
def duplicate(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> CollectionOut:
    return collection_out(store.duplicate(owner_id(user), collection_id, actor(request, user)))


@router.post("/{collection_id}/share", summary="Share a collection read-only by link (one link per collection)",
             responses=_responses(404, 422, 503))
def share(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> ShareOut:
    return ShareOut(url=share_path(store.share(owner_id(user), collection_id, actor(request, user))) or "")


@router.delete("/{collection_id}/share", status_code=status.HTTP_204_NO_CONTENT,
               summary="Stop sharing: the link opens nothing any more", responses=_responses(404, 422, 503))
def unshare(collection_id: CollectionId, request: Request, user: UserDep, store: CollectionsDep) -> Response:
    store.unshare(owner_id(user), collection_id, actor(request, user))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{collection_id}/export", summary="The collection as a DOCX, PPTX or Markdown handout",
            response_class=Response, responses={**_FILES, **_responses(404, 409, 422, 503)})
def export(
    collection_id: CollectionId, user: UserDep, store: CollectionsDep, chat: ChatDep,
    format: Annotated[ExportFormat, Query(description="docx, pptx or md")],
) -> Response:
    return export_file(chat, store.collection(owner_id(user), collection_id), format)
