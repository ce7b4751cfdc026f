"""Health of the running app: index, model and database, for people and load balancers."""

from __future__ import annotations

from typing import Any

from assistant.web.deps import ChatDep
from assistant.web.security import APP, secured_router

router = secured_router(APP, tags=["health"])


@router.get("/healthz", summary="Index, model and database status")
def healthz(chat: ChatDep) -> dict[str, Any]:
    index = chat.assistant.index
    chat.store.database.ping()
    return {
        "status": "ok",
        "index_loaded": True,
        "index": index.path.name,
        "built_at": index.manifest.get("built_at"),
        "model": index.manifest.get("model"),
        "counts": index.manifest.get("counts"),
        "database": "ok",
    }
