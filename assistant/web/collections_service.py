"""What the collections' pages and API share: the store of the request, who acts, adding what a
facilitator picked, the JSON shape of a collection, its items with their source status, and the
exported file as a download.

Thin glue over ``db.collections_store`` (storing, ownership), ``db.collection_items`` (what an item
quotes, staleness, the handout) and ``export`` (rendering with credit lines); it formats nothing
itself. A collection's share link is a relative path (``/shared/TOKEN``): the Host header is the
client's to set, so no absolute URL is built from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.db.audit import Actor
from assistant.db.collection_items import ItemStatus, handout_of, item_status, new_item
from assistant.db.collections_store import CollectionsStore, UnknownCollection
from assistant.export.render import FORMATS, render, safe_filename
from assistant.models import Collection, CollectionItem, CollectionItemKind, Excerpt, User
from assistant.qa.passages import passage_path
from assistant.web.auth import client_address
from assistant.web.conversation import Chat
from assistant.web.deps import ChatDep

ExportFormat = Literal["docx", "pptx", "md"]
assert set(FORMATS) == set(ExportFormat.__args__)  # type: ignore[attr-defined]  # one list of formats


def get_collections(chat: ChatDep) -> CollectionsStore:
    return CollectionsStore(chat.store.database)


CollectionsDep = Annotated[CollectionsStore, Depends(get_collections)]


def owner_id(user: User) -> int:
    """The signed-in user's id (the routers admit only signed-in roles)."""
    if user.id is None:
        raise UnknownCollection("sign in to use collections")
    return user.id


def actor(request: Request, user: User) -> Actor:
    return Actor.of(user, client_address(request))


def share_path(token: str | None) -> str | None:
    return None if token is None else f"/shared/{quote(token, safe='')}"


def add_picked(
    chat: Chat, store: CollectionsStore, request: Request, user: User, collection_id: int, *,
    story_id: str | None = None, chunk_id: str | None = None, quote_text: str | None = None,
    positions: list[int] | None = None, note: str | None = None,
) -> tuple[CollectionItem, bool]:
    """Add a story, a passage, a quote or chosen sentences; True when new, False when held already."""
    item = new_item(chat.assistant.index, chat.library, story_id, chunk_id, quote_text, positions)
    return store.add_item(owner_id(user), collection_id, item, actor(request, user), note)


def export_file(chat: Chat, collection: Collection, fmt: str) -> Response:
    """The collection as a download (ExportRefused when a document's licence forbids it)."""
    index = chat.assistant.index
    body = render(handout_of(collection, index, chat.library), index.documents, fmt)
    name = safe_filename(collection.title, fmt)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition})


# --- what pages show ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemView:
    item: CollectionItem
    status: ItemStatus
    href: str  # the passage it quotes, or the story


def item_views(chat: Chat, collection: Collection) -> list[ItemView]:
    index = chat.assistant.index
    return [ItemView(item, item_status(item, index), _href(item)) for item in collection.items]


def _href(item: CollectionItem) -> str:
    if item.story_id:
        return f"/library/{quote(item.story_id, safe='')}"
    return passage_path(item.excerpt.chunk_id)


# --- the JSON shapes ---------------------------------------------------------------------------


class SourceStatus(BaseModel):
    changed: bool = Field(description="True when the passage is gone or its text changed since the item was added")
    message: str | None = None
    current_chunk_id: str | None = Field(None, description="The passage now standing in the same section")
    diff: list[str] = Field(default_factory=list, description='Sentences: "- was", "+ now", "  unchanged"')


class ItemOut(BaseModel):
    id: int
    position: int
    kind: CollectionItemKind
    story_id: str | None
    heading: str
    country: str | None
    excerpt: Excerpt
    note: str | None = Field(description="The facilitator's own words")
    added_at: datetime
    source: SourceStatus


class CollectionOut(BaseModel):
    id: int
    title: str
    shared: bool
    share_url: str | None = Field(description="The read-only link, a path of this site; null when not shared")
    created_at: datetime
    updated_at: datetime
    item_count: int
    items: list[ItemOut] = Field(default_factory=list, description="In order; empty in lists of collections")


class ShareOut(BaseModel):
    url: str = Field(description="The read-only link, a path of this site")


def item_out(item: CollectionItem, status: ItemStatus) -> ItemOut:
    return ItemOut(id=item.item_id, position=item.position, kind=item.kind, story_id=item.story_id,
                   heading=item.heading, country=item.country, excerpt=item.excerpt, note=item.note,
                   added_at=item.added_at, source=SourceStatus(**status.__dict__))


def collection_out(collection: Collection, chat: Chat | None = None) -> CollectionOut:
    index = chat.assistant.index if chat is not None else None
    items = [item_out(i, item_status(i, index)) for i in collection.items] if index is not None else []
    return CollectionOut(id=collection.collection_id, title=collection.title, shared=collection.share_token is not None,
                         share_url=share_path(collection.share_token), created_at=collection.created_at,
                         updated_at=collection.updated_at, item_count=collection.item_count, items=items)


def json_of(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")
