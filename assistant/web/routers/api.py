"""The JSON API (documented at /docs): ask, search, passages, documents, facets, feedback, conversations.

Thin: each route validates its input with a pydantic model or query parameters, calls the chat
service or the loaded index, and returns the shapes of ``assistant.qa.presenters`` (the answer object
is exactly the one of ``score-assistant ask --json``). Errors are raised as the domain exceptions
that ``assistant.web.errors`` maps to 4xx responses with a readable ``detail``; each route lists the
ones it can answer (``error_responses``), so the schema documents every status it sends.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, status

from assistant.qa.passages import passage_context, passage_context_dict
from assistant.qa.presenters import feedback_dict, passage_dict, turn_dict
from assistant.web.deps import ChatDep, IndexDep
from assistant.web.errors import error_responses
from assistant.web.schemas import QUESTION_LIMITS, AskRequest, FeedbackRequest, FilterQuery
from assistant.web.security import APP, secured_router

router = secured_router(APP, prefix="/api", tags=["api"])


@router.post(
    "/ask", summary="Answer a question with cited evidence", responses=error_responses(400, 404, 413, 422, 503)
)
def ask(body: AskRequest, chat: ChatDep) -> dict[str, Any]:
    """The grounded answer (or abstention) with citations and passages, stored in its conversation.

    Omit ``conversation_id`` to start a new conversation; its id is in the response.
    """
    filters = body.filters.model_dump() if body.filters else {}
    return turn_dict(chat.ask(body.question, filters, body.conversation_id, body.k))


@router.get("/search", summary="Ranked passages for a query", responses=error_responses(400, 422))
def search(
    chat: ChatDep,
    q: Annotated[str, Query(description="What to look for", json_schema_extra=QUESTION_LIMITS)],
    wanted: Annotated[FilterQuery, Query()],
    k: Annotated[int | None, Query(ge=1, le=50)] = None,
) -> dict[str, Any]:
    filters, passages = chat.search(q, wanted.model_dump(), k)
    return {"query": q.strip(), "filters": filters.active(), "passages": [passage_dict(p) for p in passages]}


@router.get("/passages/{chunk_id}", summary="A passage in its section context", responses=error_responses(404, 422))
def passage(
    chunk_id: str,
    index: IndexDep,
    hl: Annotated[list[int] | None, Query(description="Positions of sentences to mark as quoted")] = None,
) -> dict[str, Any]:
    return passage_context_dict(passage_context(index, chunk_id, hl))


@router.get("/documents", summary="The indexed documents with their licence and credit line")
def documents(index: IndexDep, chat: ChatDep) -> list[dict[str, Any]]:
    counts = chat.facets["document"]
    return [
        {**meta.model_dump(exclude={"source_path"}), "chunks": counts.get(doc_id, 0)}
        for doc_id, meta in index.documents.items()
    ]


@router.get("/facets", summary="Filter values (countries, regions, modules, documents) with passage counts")
def facets(chat: ChatDep) -> dict[str, dict[str, int]]:
    return chat.facets


@router.post(
    "/feedback", status_code=status.HTTP_201_CREATED, summary="Thumbs up or down on an answer",
    responses=error_responses(400, 404, 413, 422, 503),
)
def feedback(body: FeedbackRequest, chat: ChatDep) -> dict[str, Any]:
    return feedback_dict(chat.store.add_feedback(body.answer_id, body.rating, body.comment))


@router.get(
    "/conversations/{conversation_id}", summary="A conversation with every question and answer",
    responses=error_responses(404, 422, 503),
)
def conversation(conversation_id: str, chat: ChatDep) -> dict[str, Any]:
    stored = chat.store.conversation(conversation_id)
    return {
        "conversation_id": stored.conversation_id,
        "created_at": stored.created_at.isoformat(),
        "turns": [turn_dict(t) for t in stored.turns],
    }
