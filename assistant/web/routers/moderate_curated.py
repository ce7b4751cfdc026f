"""Curated answers for moderators and administrators: the list, and the editor of one answer.

``/moderate/curated`` lists them (status, due for review, source changed). The editor
(``/moderate/curated/new?from_item=…`` and ``/moderate/curated/{id}``) builds the body from quotes:
the moderator ticks sentences of the passages retrieved for the item's question, of the answer's
own passages, or of a passage search (``Chat.search``); every ticked sentence is grounded verbatim
in the live index (``curation.grounding``) and keeps its citation. The note is the moderator's own
words. The page also holds the phrasings (add, remove, accept or reject a suggested one), the
review-by date, publishing and retiring (refused with a clear message when
``SCORE_REQUIRE_SECOND_REVIEW`` forbids it), the diff of a passage that changed under the answer,
and the history with a diff between any two versions. Without JavaScript the search box submits the
whole draft by GET and the page comes back with it and the results; with htmx only the results are
fetched. Every change goes through ``CurationStore``, which audits it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from assistant.curation.grounding import QuoteInput
from assistant.db.curation_records import CuratedRecord, CurationError
from assistant.db.curation_store import Changes
from assistant.db.engine import UnknownRecord
from assistant.db.moderation_queue import ModerationQueue
from assistant.db.phrasing_suggestions import PhrasingSuggestions
from assistant.search.filters import QuestionError
from assistant.web.conversation import Chat
from assistant.web.curation_deps import actor_of, curation_service, curation_store, refusal_status
from assistant.web.deps import ChatDep, TemplatesDep, UserDep
from assistant.web.errors import error_page, error_responses
from assistant.web.moderation_views import (
    curated_summary,
    diff_lines,
    parse_quote,
    queue_entry,
    quote_views,
    source_passages,
)
from assistant.web.routers.moderate_audit import MODERATORS, FilterText
from assistant.web.schemas import MAX_COMMENT_CHARS, MAX_ID, Text
from assistant.web.security import secured_router

router = secured_router(MODERATORS, include_in_schema=False)

SEARCH_RESULTS = 5
REFUSALS = error_responses(403, 404, 409, 422)  # what a change may be answered with
Id = Annotated[int, Query(ge=1, le=MAX_ID)]
LongText = Annotated[Text, Form(max_length=MAX_COMMENT_CHARS)]
Quotes = Annotated[list[str], Form()]


@dataclass
class Draft:
    """What the editor form holds, saved or not."""

    question: str = ""
    alternates: str = ""  # one phrasing a line (a new answer only; a saved one edits them one by one)
    note: str = ""
    country: str = ""
    review_by: str = ""
    quotes: list[tuple[str, str]] = field(default_factory=list)
    from_item: int | None = None

    @classmethod
    def of(cls, record: CuratedRecord) -> Draft:
        return cls(record.question, "", record.note or "", record.country or "", record.review_by.isoformat(),
                   [(q.chunk_id, q.text) for q in record.quotes])

    @classmethod
    def submitted(cls, question: str, alternates: str, note: str, country: str, review_by: str, quotes: list[str],
                  from_item: int | None = None) -> Draft:
        picked = list(dict.fromkeys(q for q in (parse_quote(v) for v in quotes) if q is not None))
        return cls(question, alternates, note, country, review_by, picked, from_item)

    def review_date(self) -> date | None:
        try:
            return date.fromisoformat(self.review_by) if self.review_by.strip() else None
        except ValueError:
            raise CurationError(f"the review-by date must be YYYY-MM-DD, not {self.review_by!r}") from None

    def quote_inputs(self) -> list[QuoteInput]:
        return [QuoteInput(chunk_id=chunk_id, text=text) for chunk_id, text in self.quotes]

    def phrasings(self) -> list[str]:
        return [line.strip() for line in self.alternates.splitlines() if line.strip()]


def _search(chat: Chat, q: str) -> tuple[list[str], str | None]:
    if not q.strip():
        return [], None
    try:
        _, passages = chat.search(q, k=SEARCH_RESULTS)
    except QuestionError as exc:
        return [], str(exc)
    return [p.chunk.chunk_id for p in passages], None


def _editor(request: Request, templates: TemplatesDep, chat: Chat, draft: Draft, record: CuratedRecord | None = None,
            q: str = "", error: str | None = None, status_code: int = 200, flash: str = "",
            versions: tuple[int, int] | None = None) -> Response:
    index, chosen = chat.assistant.index, set(draft.quotes)
    sections: list[tuple[str, list[Any]]] = []
    if record is not None:
        sections.append(("Passages it quotes", source_passages(index, [c for c, _ in draft.quotes], chosen)))
    entry = None
    if draft.from_item is not None:
        view = ModerationQueue(chat.store.database).view(draft.from_item)
        entry = queue_entry(view, index, {})
        if view.turn is not None:
            answer = view.turn.answer
            chunk_ids = [c.chunk_id for c in answer.citations] + [p.chunk.chunk_id for p in answer.passages]
            sections.append(("Passages retrieved for the question", source_passages(index, chunk_ids, chosen)))
    found, search_error = _search(chat, q)
    context: dict[str, Any] = {
        "draft": draft, "record": record, "entry": entry, "sections": [s for s in sections if s[1]], "q": q,
        "results": source_passages(index, found, chosen), "search_error": search_error, "error": error,
        "flash": flash, "countries": sorted(chat.facets.get("country", {})),
        "second_review": request.app.state.settings.web.require_second_review,
        "quotes": [], "source_diffs": [], "summary": None, "suggestions": [], "history": None, "diff": [],
    }
    if record is not None:
        history = curation_store(chat, request).history(record.id)
        numbers = [v.version for v in history.versions]
        old, new = versions or ((numbers[-2], numbers[-1]) if len(numbers) > 1 else (numbers[-1], numbers[-1]))
        context.update(
            summary=curated_summary(record), history=history, quotes=quote_views(index, record.quotes),
            suggestions=PhrasingSuggestions(chat.store.database).pending(record.id),
            source_diffs=[(c, diff_lines(c.diff())) for c in history.source_changes],
            diff_from=old, diff_to=new,
            diff=diff_lines(curation_store(chat, request).diff(record.id, old, new)) if old != new else [],
        )
    return templates.TemplateResponse(request, "moderate_editor.html", context, status_code=status_code)


@router.get("/moderate/curated", responses=error_responses(422))
def curated_list(request: Request, templates: TemplatesDep, chat: ChatDep, status: FilterText = "") -> Response:
    records = curation_store(chat, request).list()
    shown = [curated_summary(r) for r in records if not status or r.status == status
             or (status == "due" and r.due_for_review())]
    return templates.TemplateResponse(request, "moderate_curated.html", {"answers": shown, "status": status})


@router.get("/moderate/curated/new", responses=error_responses(404, 422))
def new_curated(
    request: Request, templates: TemplatesDep, chat: ChatDep,
    from_item: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None, q: FilterText = "",
) -> Response:
    draft = Draft(from_item=from_item)
    if from_item is not None:
        try:
            item = ModerationQueue(chat.store.database).view(from_item)
        except UnknownRecord as exc:
            return error_page(request, str(exc), 404)
        draft.question = item.item.question or (item.turn.question if item.turn else "")
        draft.country = item.item.country or ""
    return _editor(request, templates, chat, draft, q=q)


@router.post("/moderate/curated", responses=REFUSALS)
def create_curated(
    request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep, question: LongText = "",
    alternates: LongText = "", note: Annotated[Text, Form(max_length=5000)] = "", country: LongText = "",
    review_by: LongText = "", quote: Quotes = [], from_item: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,  # noqa: B006
    action: LongText = "draft", q: LongText = "",
) -> Response:
    draft = Draft.submitted(question, alternates, note, country, review_by, quote, from_item)
    if action == "search":  # the search button without JavaScript: the draft comes back with the results
        return _editor(request, templates, chat, draft, q=q)
    try:
        record = curation_service(chat, request).create(
            actor_of(request, user), draft.question, draft.quote_inputs(), draft.phrasings(), draft.note or None,
            country=draft.country or None, status="published" if action == "publish" else "draft",
            review_by=draft.review_date(), from_item=from_item)
    except CurationError as exc:
        return _editor(request, templates, chat, draft, error=str(exc), status_code=refusal_status(exc))
    except UnknownRecord as exc:
        return error_page(request, str(exc), 404)
    done = "Published." if record.status == "published" else "Saved as a draft."
    return RedirectResponse(f"/moderate/curated/{record.id}?{urlencode({'flash': done})}", status_code=303)


@router.get("/moderate/curated/{curated_id}", responses=error_responses(404, 422))
def edit_curated(
    curated_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, q: FilterText = "",
    flash: FilterText = "",
    diff_from: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    diff_to: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    try:
        record = curation_store(chat, request).get(curated_id)
    except UnknownRecord as exc:
        return error_page(request, str(exc), 404)
    draft = Draft.of(record)
    versions = (diff_from, diff_to) if diff_from and diff_to else None
    if versions and max(versions) > record.version:
        return error_page(request, f"curated answer {curated_id} has {record.version} versions", 404)
    return _editor(request, templates, chat, draft, record, q=q, flash=flash, versions=versions)


def _spaced(quotes: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(chunk_id, " ".join(text.split())) for chunk_id, text in quotes]


def _changes(record: CuratedRecord, draft: Draft) -> Changes:
    """Only what the form changed (quotes and country aside): an unchanged body adds no version."""
    fields: dict[str, Any] = {}
    if " ".join(draft.question.split()) != record.question:
        fields["question"] = draft.question
    if (draft.note.strip() or None) != record.note:
        fields["note"] = draft.note
    review = draft.review_date()
    if review is not None and review != record.review_by:
        fields["review_by"] = review
    return Changes(**fields)


@router.post("/moderate/curated/{curated_id}", responses=REFUSALS)
def update_curated(
    curated_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep,
    question: LongText = "", note: Annotated[Text, Form(max_length=5000)] = "", country: LongText = "",
    review_by: LongText = "", quote: Quotes = [], action: LongText = "save", q: LongText = "",  # noqa: B006
) -> Response:
    draft = Draft.submitted(question, "", note, country, review_by, quote)
    store = curation_store(chat, request)
    try:
        record = store.get(curated_id)
        if action == "search":
            return _editor(request, templates, chat, draft, record, q=q)
        quotes_changed = _spaced(draft.quotes) != [(q.chunk_id, q.text) for q in record.quotes]
        updated = curation_service(chat, request).update(
            actor_of(request, user), curated_id, _changes(record, draft),
            draft.quote_inputs() if quotes_changed else None, draft.country or None,
            country_given=(draft.country or None) != record.country)
    except UnknownRecord as exc:
        return error_page(request, str(exc), 404)
    except CurationError as exc:
        return _editor(request, templates, chat, draft, record, error=str(exc), status_code=refusal_status(exc))
    done = f"Saved as version {updated.version}." if updated.version != record.version else "Saved."
    return RedirectResponse(f"/moderate/curated/{curated_id}?{urlencode({'flash': done})}", status_code=303)


def _act(request: Request, templates: TemplatesDep, chat: Chat, curated_id: int, done: str,
         action: Callable[[], object]) -> Response:
    """Run one action on an answer; back to its page, or the page with the refusal."""
    try:
        action()
    except UnknownRecord as exc:
        return error_page(request, str(exc), 404)
    except CurationError as exc:
        record = curation_store(chat, request).get(curated_id)
        return _editor(request, templates, chat, Draft.of(record), record, error=str(exc),
                       status_code=refusal_status(exc))
    return RedirectResponse(f"/moderate/curated/{curated_id}?{urlencode({'flash': done})}", status_code=303)


@router.post("/moderate/curated/{curated_id}/publish", responses=REFUSALS)
def publish(curated_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep) -> Response:
    service = curation_service(chat, request)
    return _act(request, templates, chat, curated_id, "Published.",
                lambda: service.publish(actor_of(request, user), curated_id))


@router.post("/moderate/curated/{curated_id}/retire", responses=REFUSALS)
def retire(curated_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep) -> Response:
    service = curation_service(chat, request)
    return _act(request, templates, chat, curated_id, "Retired: it is no longer served.",
                lambda: service.retire(actor_of(request, user), curated_id))


@router.post("/moderate/curated/{curated_id}/phrasings", responses=REFUSALS)
def add_phrasing(curated_id: int, request: Request, templates: TemplatesDep, chat: ChatDep, user: UserDep,
                 phrasing: LongText = "") -> Response:
    store = curation_store(chat, request)
    return _act(request, templates, chat, curated_id, "Phrasing added.",
                lambda: store.add_phrasing(actor_of(request, user), curated_id, phrasing))


@router.post("/moderate/curated/{curated_id}/phrasings/{phrasing_id}/remove", responses=REFUSALS)
def remove_phrasing(curated_id: int, phrasing_id: int, request: Request, templates: TemplatesDep, chat: ChatDep,
                    user: UserDep) -> Response:
    store = curation_store(chat, request)
    return _act(request, templates, chat, curated_id, "Phrasing removed.",
                lambda: store.remove_phrasing(actor_of(request, user), curated_id, phrasing_id))


@router.post("/moderate/curated/{curated_id}/suggestions/{suggestion_id}/{decision}",
             responses=REFUSALS)
def decide_suggestion(curated_id: int, suggestion_id: int, decision: str, request: Request, templates: TemplatesDep,
                      chat: ChatDep, user: UserDep) -> Response:
    if decision not in ("accept", "reject"):
        return error_page(request, "a suggested phrasing is accepted or rejected", 404)
    suggestions, actor = PhrasingSuggestions(chat.store.database), actor_of(request, user)
    if decision == "accept":
        return _act(request, templates, chat, curated_id, "Suggested phrasing accepted.",
                    lambda: suggestions.accept(actor, suggestion_id, curation_store(chat, request)))
    return _act(request, templates, chat, curated_id, "Suggested phrasing rejected.",
                lambda: suggestions.reject(actor, suggestion_id))


@router.get("/moderate/passages", responses=error_responses(422))
def passage_search(request: Request, templates: TemplatesDep, chat: ChatDep, q: FilterText = "",
                   quote: Annotated[list[str] | None, Query()] = None) -> Response:
    """The passage search of the editor, as the fragment htmx puts under the search box."""
    chosen = set(q for q in (parse_quote(v) for v in quote or []) if q is not None)
    found, search_error = _search(chat, q)
    context = {"results": source_passages(chat.assistant.index, found, chosen), "q": q, "search_error": search_error}
    return templates.TemplateResponse(request, "_passage_results.html", context)
