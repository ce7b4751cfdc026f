"""The audit log for moderators and administrators: ``/moderate/audit`` (filtered, paged) and its CSV.

Thin: ``assistant.db.audit`` reads the entries (``find_audit_events``); this module turns the
query string into an ``AuditQuery`` (a date range is whole days, UTC), prepares the rows the page
shows, and writes the same rows as CSV. A CSV cell that a spreadsheet would run as a formula (it
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading quote,
so a question or a note typed by anyone cannot become a formula on a moderator's machine. The log is
read only: nothing here writes to it.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import Response

from assistant.db.audit import AuditEvent, AuditQuery, audit_vocabulary, find_audit_events
from assistant.web.deps import ChatDep, TemplatesDep
from assistant.web.errors import error_page, error_responses
from assistant.web.security import APP, secured_router

MODERATORS = APP.only("moderator", "admin")
router = secured_router(MODERATORS, include_in_schema=False)

PAGE_SIZE = 50
MAX_PAGE = 100_000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("id", "at", "actor", "actor_id", "action", "object_type", "object_id", "before", "after", "client")
FilterText = Annotated[str, Query(max_length=320)]


class BadAuditFilter(ValueError):
    """A filter of the audit log that cannot be read (a date that is not YYYY-MM-DD…)."""


def _day(value: str, name: str) -> date | None:
    if not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadAuditFilter(f"{name} must be a date as YYYY-MM-DD, not {value.strip()!r}") from None


def audit_query(actor: str, action: str, object_type: str, object_id: str, since: str, until: str) -> AuditQuery:
    """The query of the filter form; BadAuditFilter for a date that is not one."""
    first, last = _day(since, "from"), _day(until, "to")
    if first and last and first > last:
        raise BadAuditFilter("the 'from' date is after the 'to' date")
    return AuditQuery(
        actor=actor.strip() or None, action=action.strip() or None, object_type=object_type.strip() or None,
        object_id=object_id.strip() or None,
        since=datetime.combine(first, time.min, UTC) if first else None,
        until=datetime.combine(last, time.max, UTC) if last else None,
    )


def _as_json(value: dict[str, Any] | None) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _when(moment: datetime) -> datetime:
    """SQLite hands back the naive UTC time it was given."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class AuditLine:
    """One entry as the page and the CSV show it."""

    id: int
    at: str
    actor: str
    actor_id: str
    action: str
    object_type: str
    object_id: str
    before: str
    after: str
    client: str

    @classmethod
    def of(cls, event: AuditEvent) -> AuditLine:
        return cls(
            id=event.id, at=_when(event.at).isoformat(timespec="seconds"), actor=event.actor,
            actor_id="" if event.actor_id is None else str(event.actor_id), action=event.action,
            object_type=event.object_type or "", object_id=event.object_id or "", before=_as_json(event.before),
            after=_as_json(event.after), client=event.client or "",
        )


def csv_cell(value: object) -> str:
    """A cell no spreadsheet runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def audit_csv(lines: list[AuditLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for line in lines:
        writer.writerow([csv_cell(getattr(line, column)) for column in CSV_COLUMNS])
    return out.getvalue()


@router.get("/moderate/audit", responses=error_responses(400, 422))
def audit_page(
    request: Request, templates: TemplatesDep, chat: ChatDep, actor: FilterText = "", action: FilterText = "",
    object_type: FilterText = "", object_id: FilterText = "", since: FilterText = "", until: FilterText = "",
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    chosen = {"actor": actor, "action": action, "object_type": object_type, "object_id": object_id,
              "since": since, "until": until}
    try:
        query = audit_query(**chosen)
    except BadAuditFilter as exc:
        return error_page(request, str(exc), 400)
    database = chat.store.database
    events, total = find_audit_events(database, query, (page - 1) * PAGE_SIZE, PAGE_SIZE)
    actions, object_types = audit_vocabulary(database)
    given = {key: value for key, value in chosen.items() if value}
    pages = max(1, -(-total // PAGE_SIZE))
    context = {
        "lines": [AuditLine.of(e) for e in events], "total": total, "page": page, "pages": pages,
        "chosen": chosen, "actions": actions, "object_types": object_types,
        "previous_url": f"?{urlencode({**given, 'page': page - 1})}" if page > 1 else None,
        "next_url": f"?{urlencode({**given, 'page': page + 1})}" if page < pages else None,
        "csv_url": "/moderate/audit.csv" + (f"?{urlencode(given)}" if given else ""),
    }
    return templates.TemplateResponse(request, "moderate_audit.html", context)


@router.get("/moderate/audit.csv", responses=error_responses(400, 422))
def audit_download(
    request: Request, chat: ChatDep, actor: FilterText = "", action: FilterText = "", object_type: FilterText = "",
    object_id: FilterText = "", since: FilterText = "", until: FilterText = "",
) -> Response:
    try:
        query = audit_query(actor, action, object_type, object_id, since, until)
    except BadAuditFilter as exc:
        return error_page(request, str(exc), 400)
    events, _ = find_audit_events(chat.store.database, query, 0, None)
    headers = {"Content-Disposition": 'attachment; filename="audit-log.csv"'}
    return Response(audit_csv([AuditLine.of(e) for e in events]), media_type="text/csv; charset=utf-8",
                    headers=headers)
