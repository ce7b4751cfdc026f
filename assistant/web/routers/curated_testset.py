"""The curated test set for evaluators: ``/eval/curated-testset.jsonl``, the published curated
answers as test-set items (``curation.testset``: each phrasing a question, ``must_contain`` from its
quotes, ``expected_sections`` from their sections), for ``score-assistant eval`` to run like any other.

Open to evaluators, moderators and administrators. Mounted before ``routers.eval``, whose
``/eval/{name}`` would otherwise take this path as a report's name.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from assistant.curation.testset import testset_jsonl
from assistant.web.curation_deps import curation_store
from assistant.web.deps import ChatDep
from assistant.web.security import APP, secured_router

router = secured_router(APP.only("evaluator", "moderator", "admin"), include_in_schema=False)


@router.get("/eval/curated-testset.jsonl")
def curated_testset(request: Request, chat: ChatDep) -> Response:
    text = testset_jsonl(curation_store(chat, request), chat.assistant.index)
    headers = {"Content-Disposition": 'attachment; filename="curated-testset.jsonl"'}
    return Response(text, media_type="application/x-ndjson; charset=utf-8", headers=headers)
