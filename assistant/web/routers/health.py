"""Liveness and readiness of a worker, for people and load balancers.

``/healthz`` says the process is up and which index it serves; it makes no database round trip, so
a database outage never gets healthy workers restarted. ``/readyz`` says whether the worker should
get traffic: the index loaded, the database reachable and its migrations at head (the revision
``score-assistant db upgrade`` brings it to); 503 with the failed checks otherwise. What an outage
does to other requests is ``assistant.web.db_errors``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError

from assistant.db.engine import Database, head_revision
from assistant.web.conversation import Chat
from assistant.web.deps import ChatDep
from assistant.web.security import PUBLIC, secured_router

router = secured_router(PUBLIC, tags=["health"])  # load balancers probe without signing in
logger = logging.getLogger(__name__)


@router.get("/healthz", summary="The process is up: index, model and counts")
def healthz(chat: ChatDep) -> dict[str, Any]:
    index = chat.assistant.index
    return {
        "status": "ok",
        "index_loaded": True,
        "index": index.path.name,
        "built_at": index.manifest.get("built_at"),
        "model": index.manifest.get("model"),
        "counts": index.manifest.get("counts"),
        # Opened at start-up; whether it answers now is /readyz's question.
        "database": "ok",
    }


def _index_check(chat: Chat) -> dict[str, Any]:
    # A Chat exists only over a loaded index: the worker serves requests once start-up loaded it.
    index = chat.assistant.index
    return {"ok": True, "build": index.path.name, "built_at": index.manifest.get("built_at")}


def _database_checks(database: Database) -> dict[str, dict[str, Any]]:
    """Reachability, then the migration revision against the scripts' head."""
    try:
        database.ping()
        current = database.current_revision()
    except SQLAlchemyError as exc:
        # The driver's message may name hosts and users: logged for the operator, not sent.
        logger.warning("readiness: database unreachable: %s", exc)
        failed = {"ok": False, "error": f"the database is unreachable ({exc.__class__.__name__})"}
        return {"database": failed, "migrations": {"ok": False, "error": "not checked: no database"}}
    head = head_revision()
    migrations: dict[str, Any] = {"ok": current == head, "current": current, "head": head}
    if current != head:
        migrations["error"] = "the database is not at the latest migration: run `score-assistant db upgrade`"
    return {"database": {"ok": True, "backend": database.engine.dialect.name}, "migrations": migrations}


@router.get(
    "/readyz",
    summary="Ready for traffic: index loaded, database reachable, migrations at head",
    responses={503: {"description": "Not ready: `failed` names the checks that failed, `checks` says why"}},
)
def readyz(chat: ChatDep) -> JSONResponse:
    checks = {"index": _index_check(chat), **_database_checks(chat.store.database)}
    failed = [name for name, check in checks.items() if not check["ok"]]
    if failed:
        detail = "not ready: " + "; ".join(checks[name]["error"] for name in failed)
        return JSONResponse({"status": "not ready", "detail": detail, "failed": failed, "checks": checks}, 503)
    return JSONResponse({"status": "ready", "checks": checks})
