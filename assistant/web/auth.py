"""Who is asking: the user of a bearer token or of the session cookie, and where to send them to sign in.

A request with ``Authorization: Bearer …`` is that token's user, whatever cookie it also carries; a
request whose session is signed in is that account's user; anyone else is an anonymous trainer. A
revoked or unknown token, an expired or forged cookie and a disabled account all mean anonymous
(so 401 where a role is needed, never 500). The answer is kept on ``request.state`` (``user``, and
``authenticated_by``: "bearer", "session" or None), where the CSRF check and the page header read
it. A visitor with neither header nor signed-in session costs no database query.
"""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote, urlsplit

from starlette.requests import HTTPConnection, Request

from assistant.db.accounts_store import AccountsStore
from assistant.models import ANONYMOUS_TRAINER, User
from assistant.web import sessions

LOGIN_PATH = "/login"
Authentication = Literal["bearer", "session"]


def bearer_token(connection: HTTPConnection) -> str | None:
    """The token of an ``Authorization: Bearer`` header ('' when it names none); None without one."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def client_address(connection: HTTPConnection) -> str | None:
    return connection.client.host if connection.client else None


def _known(request: Request, user: User | None, how: Authentication) -> User:
    request.state.user = user or ANONYMOUS_TRAINER
    request.state.authenticated_by = how if user is not None else None
    return request.state.user


def authenticate(request: Request, accounts: AccountsStore) -> User:
    """The user the request is from (an anonymous trainer when none), remembered on ``request.state``."""
    token = bearer_token(request)
    if token is not None:
        return _known(request, accounts.user_for_token(token) if token else None, "bearer")
    user_id = sessions.signed_in_id(request)
    user = None if user_id is None else accounts.active_user(user_id)
    if user_id is not None and user is None:
        sessions.end(request)  # the account was disabled: its session ends here
    return _known(request, user, "session")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path of this site, never another site (an open redirect)."""
    # Browsers drop tabs and newlines from a URL: "/\t/evil.org" would become "//evil.org".
    if not target or any(ch < " " or ch == "\x7f" for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def sign_in_url(request: Request) -> str:
    """The sign-in page, told to come back to the page that asked (a GET page, or htmx's current page)."""
    if request.headers.get("HX-Request") == "true":
        current = urlsplit(request.headers.get("HX-Current-URL", ""))
        back = current.path + (f"?{current.query}" if current.query else "")
    elif request.method in ("GET", "HEAD"):
        back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        back = ""
    back = safe_next(back)
    return LOGIN_PATH if back == "/" else f"{LOGIN_PATH}?next={quote(back, safe='/')}"
