"""The JSON API (documented at /docs): ask, search, passages, documents, facets, feedback, health.

Thin: each route validates its input with a pydantic model or query parameters, calls the chat
service or the loaded index, and returns the shapes of ``assistant.presenters`` (the answer object
is exactly the one of ``score-assistant ask --json``). Errors are raised as the domain exceptions
that ``assistant.web`` maps to 4xx responses with a readable ``detail``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, status
from pydantic import BaseModel, ConfigDict, Field

from assistant.presenters import answer_dict, passage_dict
from assistant.routes.deps import ChatDep, IndexDep
from assistant.routes.passages import passage_context, passage_context_dict
from assistant.store import Feedback, Turn

router = APIRouter(prefix="/api", tags=["api"])
health_router = APIRouter(tags=["health"])

FilterQuery = Annotated[str | None, Query(description="Only passages with this value (see /api/facets)")]


class FilterSpec(BaseModel):
    """Filters of a question; values are listed, with counts, by ``GET /api/facets``."""

    # Unknown keys are passed on so the error names the valid filters instead of ignoring them.
    model_config = ConfigDict(extra="allow")

    country: str | None = Field(None, examples=["Peru"])
    region: str | None = Field(None, examples=["Asia"])
    module: str | None = Field(None, examples=["Workplace Cooperation"])
    document: str | None = Field(None, description="A document id (see /api/documents) or its title")


class AskRequest(BaseModel):
    question: str = Field(description="The question (1 to 2000 characters)", examples=[
        "How did trainers get enterprises to pay for the training?"
    ])
    filters: FilterSpec | None = None
    conversation_id: str | None = Field(
        None, description="Continue this conversation (follow-ups are read with its earlier questions)"
    )
    k: int | None = Field(None, ge=1, le=50, description="Number of passages to retrieve")


class FeedbackRequest(BaseModel):
    answer_id: int
    rating: Literal["up", "down"]
    comment: str | None = Field(None, max_length=2000)


def feedback_dict(feedback: Feedback) -> dict[str, Any]:
    return {
        "feedback_id": feedback.feedback_id,
        "answer_id": feedback.answer_id,
        "rating": feedback.rating,
        "comment": feedback.comment,
        "created_at": feedback.created_at.isoformat(),
    }


def turn_dict(turn: Turn) -> dict[str, Any]:
    """The answer object of ``ask --json`` plus where it sits in its conversation."""
    return {
        **answer_dict(turn.answer),
        "conversation_id": turn.conversation_id,
        "question_id": turn.question_id,
        "answer_id": turn.answer_id,
        "position": turn.position,
        "follow_up_of": turn.context,
        "latency_ms": round(turn.latency_ms, 2),
        "feedback": [feedback_dict(f) for f in turn.feedback],
    }


@router.post("/ask", summary="Answer a question with cited evidence")
def ask(body: AskRequest, chat: ChatDep) -> dict[str, Any]:
    """The grounded answer (or abstention) with citations and passages, stored in its conversation.

    Omit ``conversation_id`` to start a new conversation; its id is in the response.
    """
    filters = body.filters.model_dump() if body.filters else {}
    return turn_dict(chat.ask(body.question, filters, body.conversation_id, body.k))


@router.get("/search", summary="Ranked passages for a query")
def search(
    chat: ChatDep,
    q: Annotated[str, Query(description="What to look for")],
    country: FilterQuery = None,
    region: FilterQuery = None,
    module: FilterQuery = None,
    document: FilterQuery = None,
    k: Annotated[int | None, Query(ge=1, le=50)] = None,
) -> dict[str, Any]:
    wanted = {"country": country, "region": region, "module": module, "document": document}
    filters, passages = chat.search(q, wanted, k)
    return {"query": q.strip(), "filters": filters.active(), "passages": [passage_dict(p) for p in passages]}


@router.get("/passages/{chunk_id}", summary="A passage in its section context")
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


@router.post("/feedback", status_code=status.HTTP_201_CREATED, summary="Thumbs up or down on an answer")
def feedback(body: FeedbackRequest, chat: ChatDep) -> dict[str, Any]:
    return feedback_dict(chat.store.add_feedback(body.answer_id, body.rating, body.comment))


@router.get("/conversations/{conversation_id}", summary="A conversation with every question and answer")
def conversation(conversation_id: str, chat: ChatDep) -> dict[str, Any]:
    stored = chat.store.conversation(conversation_id)
    return {
        "conversation_id": stored.conversation_id,
        "created_at": stored.created_at.isoformat(),
        "turns": [turn_dict(t) for t in stored.turns],
    }


@health_router.get("/healthz", summary="Index, model and database status")
def healthz(chat: ChatDep) -> dict[str, Any]:
    index = chat.assistant.index
    chat.store.ping()
    return {
        "status": "ok",
        "index_loaded": True,
        "index": index.path.name,
        "built_at": index.manifest.get("built_at"),
        "model": index.manifest.get("model"),
        "counts": index.manifest.get("counts"),
        "database": "ok",
    }
