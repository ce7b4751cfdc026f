"""The chat pages for trainers: the conversation, asking, feedback and the cited passage view.

Every form works twice: with htmx (the server answers with the fragment to swap in) and without
JavaScript (a plain POST answered by a redirect, or by the full page with the error and what the
trainer typed). Thin: the chat service answers and stores, ``routes.views`` prepares what the
templates show.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from assistant.db.engine import UnknownRecord
from assistant.models import Turn
from assistant.qa.passages import UnknownPassage, passage_context, passage_path
from assistant.search.filters import QuestionError
from assistant.web.conversation import UnknownConversation
from assistant.web.deps import ChatDep, TemplatesDep
from assistant.web.errors import error_page, form_error
from assistant.web.schemas import MAX_COMMENT_CHARS, MAX_ID, AskForm, Text
from assistant.web.security import APP, secured_router
from assistant.web.views import filter_fields, turn_view

router = secured_router(APP, include_in_schema=False)

PANEL_ID = "passage-panel"
# Questions the bundled annual update answers well; shown on an empty chat for a trainer to click.
EXAMPLE_QUESTIONS = (
    "How did trainers get enterprises to pay for the training?",
    "Which donors fund SCORE in India, the Philippines and South Africa?",
    "How did SCORE help enterprises cut energy costs?",
    "What is SCORE4Climate?",
)
FormText = Annotated[str, Form()]


def _htmx(request: Request) -> bool:
    return request.headers.get("HX-Request") == "true"


def _chat_page(
    request: Request,
    templates: TemplatesDep,
    chat: ChatDep,
    turns: list[Turn],
    conversation_id: str | None = None,
    *,
    error: str | None = None,
    question: str = "",
    selected: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    index = chat.assistant.index
    if selected is None:
        selected = turns[-1].requested_filters if turns else {}
    context: dict[str, Any] = {
        "turns": [turn_view(t, index) for t in turns],
        "conversation_id": conversation_id or "",
        "error": error,
        "question": question,
        "filters": filter_fields(chat.facets, index, selected),
        "active_filters": sum(1 for v in selected.values() if v),
        "examples": EXAMPLE_QUESTIONS,
        "max_question_chars": chat.assistant.settings.retrieval.max_question_chars,
    }
    return templates.TemplateResponse(request, "chat.html", context, status_code=status_code)


@router.get("/")
def home(request: Request, templates: TemplatesDep, chat: ChatDep) -> Response:
    return _chat_page(request, templates, chat, [])


@router.get("/c/{conversation_id}", name="conversation_page")
def conversation_page(conversation_id: str, request: Request, templates: TemplatesDep, chat: ChatDep) -> Response:
    try:
        conversation = chat.store.conversation(conversation_id)
    except UnknownRecord:
        return error_page(request, "There is no conversation at this address.", 404)
    return _chat_page(request, templates, chat, conversation.turns, conversation_id)


@router.post("/ask")
def ask(
    request: Request,
    templates: TemplatesDep,
    chat: ChatDep,
    form: Annotated[AskForm, Form()],
) -> Response:
    question, conversation_id, selected = form.question, form.conversation_id, form.filters()
    try:
        turn = chat.ask(question, selected, conversation_id or None)
    except (QuestionError, UnknownConversation) as exc:
        status_code = 404 if isinstance(exc, UnknownConversation) else 400
        message = str(exc)
        if isinstance(exc, UnknownConversation):
            message = "This conversation no longer exists. Start a new conversation to ask your question."
        if _htmx(request):
            return form_error(request, message, status_code)
        turns = [] if status_code == 404 or not conversation_id else chat.store.conversation(conversation_id).turns
        return _chat_page(
            request, templates, chat, turns, conversation_id if turns else None,
            error=message, question=question, selected=selected, status_code=status_code,
        )
    page = f"/c/{turn.conversation_id}"
    if not _htmx(request):
        return RedirectResponse(f"{page}#answer-{turn.answer_id}", status_code=303)
    context = {"turn": turn_view(turn, chat.assistant.index), "conversation_id": turn.conversation_id}
    return templates.TemplateResponse(request, "_turn_response.html", context, headers={"HX-Push-Url": page})


@router.post("/feedback")
def feedback(
    request: Request,
    templates: TemplatesDep,
    chat: ChatDep,
    answer_id: Annotated[int, Form(ge=1, le=MAX_ID)],
    rating: FormText = "",
    comment: Annotated[Text, Form(max_length=MAX_COMMENT_CHARS)] = "",
) -> Response:
    if rating not in ("up", "down"):
        return error_page(request, "rating must be 'up' or 'down'", 400)
    try:
        chat.store.add_feedback(answer_id, rating, comment)  # type: ignore[arg-type]
        turn = chat.store.turn(answer_id)
    except UnknownRecord:
        return error_page(request, "There is no such answer to rate.", 404)
    if not _htmx(request):
        return RedirectResponse(f"/c/{turn.conversation_id}#answer-{answer_id}", status_code=303)
    context = {"turn": turn_view(turn, chat.assistant.index), "thanks": True}
    return templates.TemplateResponse(request, "_feedback.html", context)


@router.get("/passages/{chunk_id}", name="passage_page")
def passage_page(
    chunk_id: str,
    request: Request,
    templates: TemplatesDep,
    chat: ChatDep,
    hl: Annotated[list[int] | None, Query()] = None,
) -> Response:
    try:
        context = passage_context(chat.assistant.index, chunk_id, hl)
    except UnknownPassage:
        return error_page(request, "There is no such passage in the index (it may have been re-indexed).", 404)
    panel = _htmx(request) and request.headers.get("HX-Target") == PANEL_ID
    # A relative link: the Host header is the client's to set, so an absolute URL built from it could
    # point a shared link anywhere.
    share = passage_path(chunk_id, hl)
    template = "_passage.html" if panel else "passage.html"
    response = templates.TemplateResponse(request, template, {"passage": context, "share_url": share, "panel": panel})
    response.headers["Vary"] = "HX-Request, HX-Target"
    return response
