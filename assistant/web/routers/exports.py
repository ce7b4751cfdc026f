"""Handout downloads: a story or a chat answer as DOCX, PPTX or Markdown, with its credit lines.

Thin: each route finds what to export (the story in the library, the answer as it was stored),
makes the handout (``assistant.export.handouts``), renders it (``assistant.export.render``) and sends
it as an attachment named from its title. An unknown story or answer is 404; an unknown format
422 listing the valid ones (the schema's enum); an answer that quotes nothing 422; a document whose
licence does not allow reuse 409, naming it (``ExportRefused``, as for collections).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query
from fastapi.responses import Response

from assistant.export.handouts import handout_from_answer, handout_from_story
from assistant.export.render import FORMATS, ExportFormat, content_disposition, render, safe_filename
from assistant.models import Handout
from assistant.search.index import LoadedIndex
from assistant.web.deps import ChatDep
from assistant.web.errors import error_responses
from assistant.web.schemas import MAX_ID
from assistant.web.security import APP, secured_router

router = secured_router(APP, prefix="/api", tags=["exports"])

AnswerId = Annotated[int, Path(ge=1, le=MAX_ID, description="The answer's id (``answer_id`` of POST /api/ask)")]
FormatQuery = Annotated[ExportFormat, Query(description="docx (Word), pptx (PowerPoint) or md (Markdown)")]
_FILES = {
    200: {
        "description": "The handout file, offered as a download (``Content-Disposition``)",
        "content": {media_type: {"schema": {"type": "string", "format": "binary"}} for media_type in FORMATS.values()},
    }
}


def download(handout: Handout, index: LoadedIndex, fmt: str) -> Response:
    """The handout rendered in ``fmt`` as an attachment named from its title."""
    body = render(handout, index.documents, fmt)
    disposition = content_disposition(safe_filename(handout.title, fmt))
    return Response(body, media_type=FORMATS[fmt], headers={"Content-Disposition": disposition})


@router.get(
    "/stories/{story_id}/export", summary="A story as a handout (DOCX, PPTX or Markdown) with its credit line",
    response_class=Response, responses={**_FILES, **error_responses(404, 409, 422)},
)
def export_story(story_id: str, chat: ChatDep, format: FormatQuery = "docx") -> Response:
    index = chat.assistant.index
    return download(handout_from_story(chat.library.get(story_id), index), index, format)


@router.get(
    "/answers/{answer_id}/export", summary="A chat answer's quotes as a handout, with their sources and credit lines",
    response_class=Response, responses={**_FILES, **error_responses(404, 409, 422, 503)},
)
def export_answer(answer_id: AnswerId, chat: ChatDep, format: FormatQuery = "docx") -> Response:
    """The answer as it was stored: one example per section it cites, its quotes and their sources."""
    index = chat.assistant.index
    return download(handout_from_answer(chat.store.turn(answer_id).answer, index), index, format)
