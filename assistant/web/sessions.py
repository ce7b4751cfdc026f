"""Browser sessions: the signed session cookie, the key that signs it, and who a session is signed in as.

The cookie is Starlette's ``SessionMiddleware`` (signed with itsdangerous, not hand-rolled):
``score_session``, HttpOnly, SameSite=Lax, and Secure whenever the request came over HTTPS (behind a
TLS proxy, run uvicorn with ``--proxy-headers`` so the scheme it sees is https). It lives 12 hours
from the last change (sign-in), and holds the signed-in user's id and the session's CSRF token:
signed, not encrypted, so nothing secret goes in it. A session is checked against the database on
each request (``web.auth``): a disabled account is signed out at once.

The signing key is ``SCORE_SECRET_KEY``; when it is unset, a random key is generated once into
``var/secret_key`` (mode 0600) under the working folder, so the workers of one machine and its
restarts share it and sessions survive a restart. The file appears complete or not at all (a hard
link of a written temporary file), so workers starting together agree on one key. Several machines
behind one balancer must share one ``SCORE_SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant.config import Settings

SESSION_COOKIE = "score_session"
SESSION_MAX_AGE_S = 12 * 60 * 60  # a working day: a forgotten signed-in browser does not stay so for long
KEY_FILE = Path("var") / "secret_key"
_USER_KEY = "uid"


def secret_key(settings: Settings, key_file: Path = KEY_FILE) -> str:
    """The key signing the session cookies: the setting, or the one kept in ``key_file`` (made when missing)."""
    if settings.web.secret_key:
        return settings.web.secret_key
    if not key_file.exists():
        key_file.parent.mkdir(parents=True, exist_ok=True)
        draft = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, key_file)  # fails when another worker made it first: theirs is kept
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    key = key_file.read_text().strip()
    if not key:
        raise RuntimeError(f"{key_file} is empty: delete it to make a new key, or set SCORE_SECRET_KEY")
    return key


class SessionCookies:
    """Starlette's session middleware, with the Secure flag on the cookies of HTTPS requests."""

    def __init__(self, app: ASGIApp, key: str) -> None:
        options = {"secret_key": key, "session_cookie": SESSION_COOKIE, "max_age": SESSION_MAX_AGE_S,
                   "same_site": "lax"}
        self.plain = SessionMiddleware(app, https_only=False, **options)
        self.secure = SessionMiddleware(app, https_only=True, **options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        chosen = self.secure if scope.get("scheme") in ("https", "wss") else self.plain
        await chosen(scope, receive, send)


def signed_in_id(connection: HTTPConnection) -> int | None:
    """The id of the user the session is signed in as, if any (whether the account is still active is
    the caller's question)."""
    user_id = connection.session.get(_USER_KEY)
    return user_id if isinstance(user_id, int) else None


def begin(connection: HTTPConnection, user_id: int) -> None:
    """Sign the session in as a user: a fresh session (nothing from before sign-in carries over)."""
    connection.session.clear()
    connection.session[_USER_KEY] = user_id


def end(connection: HTTPConnection) -> None:
    """Sign out: the session is emptied and its cookie deleted."""
    connection.session.clear()
