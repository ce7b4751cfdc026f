"""CSRF protection: one random token per session, required on every state-changing request a session
cookie authenticates.

The token lives in the signed session (``web.sessions``) and is renewed at sign-in. Pages put it in
their forms (``_csrf.html``: a hidden ``csrf_token`` field) and ``base.html`` hands it to htmx, which
sends it as the ``X-CSRF-Token`` header. ``check`` runs in every secured router's dependency
(``web.security``): a POST, PUT, PATCH or DELETE by a user signed in through the cookie must carry
the session's token, or it is refused with 403. Requests with a bearer token carry no cookie
authority and are exempt, as are anonymous ones, which have none to abuse; the sign-in form checks
its token itself (``check_token``), so no one can be signed in to someone else's account by a
foreign page. Tokens are compared in constant time.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import HTTPException, Request
from starlette.requests import HTTPConnection

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
REFUSED = "This form has expired or did not come from this site: reload the page and try again."
_SESSION_KEY = "csrf"
_FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")


def csrf_token(connection: HTTPConnection) -> str:
    """The session's token, made when it has none yet."""
    token = connection.session.get(_SESSION_KEY)
    if not isinstance(token, str) or not token:
        token = renew(connection)
    return token


def renew(connection: HTTPConnection) -> str:
    """A new token for the session (at sign-in: a token seen before it is worth nothing after)."""
    token = secrets.token_urlsafe(32)
    connection.session[_SESSION_KEY] = token
    return token


def check_token(connection: HTTPConnection, submitted: str | None) -> bool:
    """Whether ``submitted`` is the session's token."""
    expected = connection.session.get(_SESSION_KEY)
    if not isinstance(expected, str) or not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode("utf-8", "surrogatepass"))


async def _submitted(request: Request) -> str | None:
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    if request.headers.get("content-type", "").startswith(_FORMS):
        value = (await request.form()).get(CSRF_FIELD)  # the form the route parsed: Starlette caches it
        return value if isinstance(value, str) else None
    return None


async def check(request: Request) -> None:
    """Refuse (403) a state-changing request authenticated by the session cookie without its token."""
    if request.method not in UNSAFE_METHODS or getattr(request.state, "authenticated_by", None) != "session":
        return
    if not check_token(request, await _submitted(request)):
        raise HTTPException(403, REFUSED)
