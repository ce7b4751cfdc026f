"""The curation JSON API (documented at /docs): curated answers and the moderators' review queue.

For moderators and admins only (an anonymous caller gets 401, any other role 403); the published
answers as a test set also for evaluators. Thin: quotes are grounded and answers changed by
``assistant.curation.service`` over the live index, queue actions by ``db.moderation_queue``; both
audit every change. Refusals are domain errors mapped by ``web.errors``: 422 for a quote that is not
verbatim (naming it) or an unknown passage, 409 for a phrasing another published answer has (naming
it) or a state that does not allow the change, 403 for publishing one's own change under second review.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Query, Request, status
from fastapi.responses import Response
from pydantic import BaseModel, Field

from assistant.curation.grounding import QuoteInput
from assistant.curation.testset import testset_jsonl
from assistant.db.curation_records import CuratedRecord
from assistant.db.curation_store import Changes
from assistant.db.moderation_queue import ModerationQueue, QueueItem, QueueItemView
from assistant.db.queue_feed import feed_queue
from assistant.web.curation_deps import actor_of, curation_service, curation_store
from assistant.web.deps import ChatDep, UserDep
from assistant.web.errors import error_responses
from assistant.web.schemas import MAX_COMMENT_CHARS, MAX_ID, FilterSpec, Text
from assistant.web.security import APP, secured_router

MODERATORS = APP.only("moderator", "admin")
router = secured_router(MODERATORS, prefix="/api", tags=["curation"])
testset_router = secured_router(APP.only("moderator", "admin", "evaluator"), prefix="/api", tags=["curation"])

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
ShortText = Annotated[Text, Field(min_length=1, max_length=2000)]
_READ = error_responses(401, 403, 404, 422)
_WRITE = error_responses(400, 401, 403, 404, 409, 413, 422, 503)  # 400: a body that is not JSON


class QuoteBody(BaseModel):
    chunk_id: Annotated[Text, Field(min_length=1, max_length=64, description="A passage of the live index")]
    text: Annotated[Text, Field(min_length=1, max_length=2000, description="Verbatim text of that passage")]


class CuratedCreate(BaseModel):
    """A new curated answer: its question, alternate phrasings, quotes and the moderator's note."""

    question: ShortText
    phrasings: list[ShortText] = Field(default_factory=list, max_length=50)
    quotes: list[QuoteBody] = Field(min_length=1, max_length=20)
    note: Annotated[Text, Field(max_length=5000)] | None = None
    country: Annotated[Text, Field(max_length=100)] | None = None
    region: Annotated[Text, Field(max_length=100)] | None = None
    filters: FilterSpec | None = Field(None, description="Only questions asked with these filters get it")
    status: Literal["draft", "published"] = "draft"
    review_by: date | None = None
    from_item: Id | None = Field(None, description="The queue item this answer settles (marked done)")


class CuratedPatch(BaseModel):
    """Fields to change; those left out keep their value. A new question, quotes or note make a new version."""

    question: ShortText | None = None
    phrasings: list[ShortText] | None = Field(None, max_length=50, description="The alternates, replacing them")
    quotes: list[QuoteBody] | None = Field(None, min_length=1, max_length=20)
    note: Annotated[Text, Field(max_length=5000)] | None = None
    country: Annotated[Text, Field(max_length=100)] | None = None
    review_by: date | None = None


class DismissBody(BaseModel):
    reason: Annotated[Text, Field(min_length=1, max_length=MAX_COMMENT_CHARS)]


class AssignBody(BaseModel):
    user_id: Id


class AttachBody(BaseModel):
    curated_id: Id


def _quotes(quotes: list[QuoteBody]) -> list[QuoteInput]:
    return [QuoteInput(chunk_id=q.chunk_id, text=q.text) for q in quotes]


@router.get("/curated", summary="Curated answers, by status and country", responses=_READ)
def list_curated(
    chat: ChatDep, request: Request,
    status: Annotated[Literal["draft", "published", "retired", "needs_review"] | None, Query()] = None,
    country: Annotated[Text | None, Query(max_length=100)] = None,
) -> list[CuratedRecord]:
    return curation_store(chat, request).list(status, country)


@router.post("/curated", status_code=status.HTTP_201_CREATED, summary="Write a curated answer from quotes",
             responses=_WRITE)
def create_curated(body: CuratedCreate, chat: ChatDep, request: Request, user: UserDep) -> CuratedRecord:
    return curation_service(chat, request).create(
        actor_of(request, user), body.question, _quotes(body.quotes), body.phrasings, body.note, body.country,
        region=body.region, filters=body.filters.model_dump(exclude_none=True) if body.filters else None,
        status=body.status, review_by=body.review_by, from_item=body.from_item)


@testset_router.get(
    "/curated-testset.jsonl", summary="Published curated answers as a JSON Lines test set",
    response_class=Response,
    responses={200: {"content": {"application/x-ndjson": {}}, "description": "One test-set item per line"},
               **error_responses(401, 403)},
)
def curated_testset(chat: ChatDep, request: Request) -> Response:
    text = testset_jsonl(curation_store(chat, request), chat.assistant.index)
    return Response(text, media_type="application/x-ndjson",
                             headers={"Content-Disposition": 'attachment; filename="curated.jsonl"'})


@router.get("/curated/{curated_id}", summary="One curated answer", responses=_READ)
def get_curated(curated_id: PathId, chat: ChatDep, request: Request) -> CuratedRecord:
    return curation_store(chat, request).get(curated_id)


@router.patch("/curated/{curated_id}", summary="Edit a curated answer (a new version)", responses=_WRITE)
def patch_curated(
    curated_id: PathId, body: CuratedPatch, chat: ChatDep, request: Request, user: UserDep
) -> CuratedRecord:
    given = body.model_fields_set
    fields: dict[str, Any] = {k: getattr(body, k) for k in ("question", "phrasings", "review_by") if k in given}
    if "note" in given:
        fields["note"] = body.note
    quotes = _quotes(body.quotes) if body.quotes is not None else None
    return curation_service(chat, request).update(actor_of(request, user), curated_id, Changes(**fields), quotes,
                                          body.country, country_given="country" in given)


@router.post("/curated/{curated_id}/publish", summary="Publish the current version", responses=_WRITE)
def publish_curated(curated_id: PathId, chat: ChatDep, request: Request, user: UserDep) -> CuratedRecord:
    return curation_service(chat, request).publish(actor_of(request, user), curated_id)


@router.post("/curated/{curated_id}/retire", summary="Take a curated answer out of service", responses=_WRITE)
def retire_curated(curated_id: PathId, chat: ChatDep, request: Request, user: UserDep) -> CuratedRecord:
    return curation_service(chat, request).retire(actor_of(request, user), curated_id)


@router.get("/curated/{curated_id}/history", summary="Every version and changed source", responses=_READ)
def curated_history(curated_id: PathId, chat: ChatDep, request: Request) -> dict[str, Any]:
    store = curation_store(chat, request)
    history = store.history(curated_id)
    diffs = [{"from": old.version, "to": new.version, "diff": store.diff(curated_id, old.version, new.version)}
             for old, new in zip(history.versions, history.versions[1:], strict=False)]
    changes = [{**c.model_dump(mode="json"), "diff": c.diff()} for c in history.source_changes]
    return {**history.model_dump(mode="json"), "diffs": diffs, "source_changes": changes}


@router.get("/moderation/queue", summary="The review queue, filtered", responses=_READ)
def moderation_queue(
    chat: ChatDep,
    reason: Annotated[Literal["thumbs_down", "abstained", "low_confidence", "repeated", "due_for_review",
                              "source_changed"] | None, Query()] = None,
    country: Annotated[Text | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    assigned_to: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    status: Literal["open", "done", "dismissed"] | None = "open",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[QueueItemView]:
    """Each item with its question, the conversation before it, the answer given with its citations
    and retrieved passages (or the curated answer and its changed passages)."""
    queue = ModerationQueue(chat.store.database)
    feed_queue(chat.store.database)
    items = queue.items(reason, country, since, until, assigned_to, status, limit)
    return [queue.view(item.id) for item in items]


@router.post("/moderation/queue/{item_id}/assign", summary="Give an item to one moderator or admin",
             responses=_WRITE)
def assign_item(item_id: PathId, body: AssignBody, chat: ChatDep, request: Request, user: UserDep) -> QueueItem:
    return ModerationQueue(chat.store.database).assign(actor_of(request, user), item_id, body.user_id)


@router.post("/moderation/queue/{item_id}/dismiss", summary="Dismiss an item, saying why", responses=_WRITE)
def dismiss_item(item_id: PathId, body: DismissBody, chat: ChatDep, request: Request, user: UserDep) -> QueueItem:
    return ModerationQueue(chat.store.database).dismiss(actor_of(request, user), item_id, body.reason)


@router.post("/moderation/queue/{item_id}/attach", summary="Attach the item's question to a curated answer",
             responses=_WRITE)
def attach_item(item_id: PathId, body: AttachBody, chat: ChatDep, request: Request, user: UserDep) -> CuratedRecord:
    question = ModerationQueue(chat.store.database).question_of(item_id)
    return curation_store(chat, request).add_phrasing(actor_of(request, user), body.curated_id, question,
                                                      from_item=item_id)
