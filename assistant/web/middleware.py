"""HTTP middleware around every route: the request body size limit, the security headers, and HEAD.

Pure ASGI (no BaseHTTPMiddleware), so the body is counted as it streams in and a large upload is
refused with 413 before the app reads it. The security headers carry the policy the answering
router declared (``assistant.web.security``), or the default one for responses no router gave; an
unexpected exception becomes a 500 sent through them too (Starlette's own error middleware sits
outside every user middleware, so its 500 would carry none). HEAD is answered as GET without a body.
"""

from __future__ import annotations

import json

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.web.security import policy_of


def _too_large(limit: int) -> str:
    return f"the request body is too large: the limit is {limit} bytes"


class BodyTooLarge(HTTPException):
    """Raised while the app reads the body; an HTTPException so the app's handlers answer 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large(limit))


async def _send_json_error(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_413(send: Send, limit: int) -> None:
    await _send_json_error(send, 413, _too_large(limit))


class BodySizeLimit:
    """Refuses request bodies over ``max_bytes`` with 413, by Content-Length or by counting."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _send_413(send, self.max_bytes)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _send_413(send, self.max_bytes)


class SecurityHeaders:
    """Adds CSP, nosniff, referrer and framing headers to every HTTP response, a 500 included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                policy = policy_of(scope)
                headers += [
                    (b"content-security-policy", policy.content_security_policy.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            # Answered here, with the headers, then raised on: the server logs the traceback as usual
            # and, seeing a response already sent, sends no second one.
            if not started:
                await _send_json_error(with_headers, 500, "internal server error")
            raise


class HeadAsGet:
    """Answers HEAD like GET, headers and all, without the body (FastAPI's routes list GET only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        # The same scope otherwise: ``state`` stays shared, so the policy the router sets still
        # reaches SecurityHeaders outside.
        await self.app({**scope, "method": "GET"}, receive, without_body)
