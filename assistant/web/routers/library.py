"""The story library for facilitators: the browsing page, a story's page, and their JSON API.

``/library`` is a GET form (filters with counts, a search box, sort, paging) that works without
JavaScript; ``/library/{story_id}`` is a story's stable page: its full text with the figures marked,
the credit line of its document, links to each passage in context, its export links and a
``story_actions`` block for what may be done with it. ``GET /api/stories`` and
``GET /api/stories/{id}`` give the same data as JSON. Open like the chat (``APP``). Thin: the
library (``Chat.library``) filters and searches, ``assistant.library.presenters`` shapes the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.library.browse import LIBRARY_KEYS, MAX_LIMIT, SORTS, StoryPage
from assistant.library.presenters import (
    document_credit,
    story_blocks,
    story_dict,
    story_export_path,
    story_page_dict,
    story_path,
)
from assistant.search.index import LoadedIndex
from assistant.web.deps import ChatDep, TemplatesDep
from assistant.web.errors import error_page, error_responses
from assistant.web.schemas import MAX_QUESTION_CHARS, Text
from assistant.web.security import APP, secured_router
from assistant.web.views import FILTER_LABELS, FilterField, Option, document_title

router = secured_router(APP, include_in_schema=False)
api_router = secured_router(APP, prefix="/api", tags=["stories"])

PAGE_SIZE = 20
EXPORT_FORMATS = ("docx", "pptx", "md")
LABELS = {**FILTER_LABELS, "year": "Year"}


class StoryQuery(BaseModel):
    """Which stories: filters (values and counts in the response's ``facets``), a search, sort and page."""

    country: Text | None = Field(None, description="A country, e.g. Peru")
    region: Text | None = Field(None, description="A region, e.g. Asia")
    module: Text | None = Field(None, description="A SCORE module, e.g. Workplace Cooperation")
    topic: Text | None = Field(None, description="A topic, e.g. financing and cost recovery")
    document: Text | None = Field(None, description="A document id (see /api/documents) or its title")
    year: Text | None = Field(None, description="The year of the story's document, e.g. 2023")
    q: Text | None = Field(None, max_length=MAX_QUESTION_CHARS, description="Search by meaning and by words")
    sort: Literal["relevance", "country"] | None = Field(
        None, description="relevance (the default with a search) or country; without either, document order"
    )
    offset: int = Field(0, ge=0, le=1_000_000)
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_LIMIT)


def _browse(chat: ChatDep, query: StoryQuery) -> StoryPage:
    return chat.library.browse(**query.model_dump())


@dataclass(frozen=True)
class PageLink:
    label: str
    href: str


def _filter_fields(page: StoryPage, index: LoadedIndex) -> list[FilterField]:
    """The selects of the library form: every value with the number of stories it would leave."""
    fields = []
    for key in LIBRARY_KEYS:
        options = [
            Option(
                value=value,
                label=f"{document_title(index, value) if key == 'document' else value} ({count})",
                selected=page.filters.get(key) == value,
            )
            for value, count in page.facets[key].items()
            if count or page.filters.get(key) == value
        ]
        fields.append(FilterField(key, LABELS[key], options))
    return fields


def _paging(query: StoryQuery, total: int) -> list[PageLink]:
    """Previous and next links that keep the filters, the search and the sort."""
    kept = {k: v for k, v in query.model_dump(exclude={"offset"}).items() if v not in (None, "")}
    links = []
    if query.offset > 0:
        previous = max(0, query.offset - query.limit)
        links.append(PageLink("← Previous", "/library?" + urlencode({**kept, "offset": previous})))
    if query.offset + query.limit < total:
        links.append(PageLink("Next →", "/library?" + urlencode({**kept, "offset": query.offset + query.limit})))
    return links


@router.get("/library", name="library_page")
def library_page(
    request: Request, templates: TemplatesDep, chat: ChatDep, query: Annotated[StoryQuery, Query()]
) -> Response:
    page = _browse(chat, query)
    index = chat.assistant.index
    context: dict[str, Any] = {
        "page": page,
        "query": query,
        "fields": _filter_fields(page, index),
        "sorts": SORTS,
        "paging": _paging(query, page.total),
        "first": query.offset + 1 if page.items else 0,
        "last": query.offset + len(page.items),
        "titles": {doc_id: meta.title for doc_id, meta in index.documents.items()},
        "story_path": story_path,
    }
    return templates.TemplateResponse(request, "library.html", context)


@router.get("/library/{story_id}", name="story_page")
def story_page(story_id: str, request: Request, templates: TemplatesDep, chat: ChatDep) -> Response:
    library = chat.library
    if story_id not in library.by_id:
        return error_page(request, "There is no such story in the library (it may have been re-indexed).", 404)
    story = library.get(story_id)
    index = chat.assistant.index
    context = {
        "story": story,
        "blocks": story_blocks(story, index),
        "credit": document_credit(index.documents.get(story.doc_id), story.doc_id),
        "share_url": story_path(story.story_id),
        "exports": [(fmt, story_export_path(story.story_id, fmt)) for fmt in EXPORT_FORMATS],
    }
    return templates.TemplateResponse(request, "story.html", context)


@api_router.get(
    "/stories", summary="Success stories, filtered and searched, with facet counts", responses=error_responses(400, 422)
)
def stories(chat: ChatDep, query: Annotated[StoryQuery, Query()]) -> dict[str, Any]:
    """One page of stories (``total`` counts them all) and, per filter, each value's number of stories
    with the other filters applied. Unknown filter values are refused with 400 naming the valid ones."""
    return story_page_dict(_browse(chat, query))


@api_router.get(
    "/stories/{story_id}", summary="A story with its passages and credit line", responses=error_responses(404, 422)
)
def story(story_id: str, chat: ChatDep) -> dict[str, Any]:
    return story_dict(chat.library.get(story_id), chat.assistant.index)
