"""Structured access logs: one JSON line per HTTP request on the ``assistant.access`` logger.

Owns the request id (an incoming ``X-Request-ID`` is kept when it is sane, else a new one is made;
either way it is echoed in the response and put in ``request.state.request_id``) and the access line:
request id, method, path (never the query string, which may hold a trainer's question), status and
latency in ms. A pure ASGI middleware, so it times the whole response, streamed bodies included, and
adds no task or thread per request. How ``serve`` prints these lines is ``web.server``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER = "assistant.access"
HEADER = "X-Request-ID"
# Ids from proxies and clients (UUIDs, trace ids) fit this; anything else could forge log lines.
_SANE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")

logger = logging.getLogger(LOGGER)


def request_id(headers: list[tuple[bytes, bytes]]) -> str:
    """The incoming request id when it is sane, else a new random one."""
    wanted = HEADER.lower().encode("latin-1")
    for name, value in headers:
        if name.lower() == wanted:
            given = value.decode("latin-1")
            if _SANE_ID.fullmatch(given):
                return given
            break
    return uuid.uuid4().hex


class AccessLog:
    """Gives each request an id and logs one JSON line when its response is done."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        rid = request_id(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = rid
        status = 500  # what the client gets when the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            line = {
                "request_id": rid,
                "method": scope["method"],
                "path": scope["path"],
                "status": status,
                "latency_ms": round((time.perf_counter() - start) * 1000, 2),
            }
            logger.info(json.dumps(line), extra={"access": line})

