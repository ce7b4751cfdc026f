"""Signing in and out: the sign-in page and form, signing out, and API tokens for scripts.

Thin: ``AccountsStore.sign_in`` checks the password, throttles and audits; ``web.sessions`` keeps the
signed-in user in the cookie; ``web.csrf`` guards the forms. The sign-in form checks its CSRF token
itself (the visitor is not signed in yet, so the policy's check does not apply) and, signed in, the
session starts afresh with a new token. Every refusal says the same thing (``LOGIN_REFUSED``).
Scripts post an email and password to ``/api/auth/token`` and send the token they get as
``Authorization: Bearer …``; ``DELETE /api/auth/token`` revokes the token it is sent with. Both
routers are ``PUBLIC``: open whatever ``SCORE_REQUIRE_LOGIN`` says.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, HTTPException, Request, status
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field

from assistant.db.accounts_store import MAX_EMAIL_CHARS, LoginRefused
from assistant.db.audit import Actor
from assistant.db.passwords import MAX_PASSWORD_CHARS
from assistant.web import csrf, sessions
from assistant.web.auth import bearer_token, client_address, safe_next
from assistant.web.deps import AccountsDep, TemplatesDep, UserDep
from assistant.web.errors import ErrorBody, error_responses
from assistant.web.schemas import Text
from assistant.web.security import PUBLIC, secured_router

router = secured_router(PUBLIC, include_in_schema=False)
api_router = secured_router(PUBLIC, prefix="/api/auth", tags=["auth"])

# Longer input is no account's: refused by the schema, before any database or hashing work (the
# margin lets an address with spaces around it through to be stripped).
EMAIL_LIMIT = MAX_EMAIL_CHARS + 64
_REFUSED_401 = {401: {"model": ErrorBody, "description": "Wrong or missing credentials (always the same message)"}}


def _login_page(
    request: Request, templates: TemplatesDep, next_url: str, email: str = "", error: str | None = None,
    status_code: int = 200,
) -> Response:
    csrf.csrf_token(request)  # the form carries it (``_csrf.html``)
    context = {"next": safe_next(next_url), "email": email, "error": error}
    return templates.TemplateResponse(request, "login.html", context, status_code=status_code)


@router.get("/login")
def login_page(request: Request, templates: TemplatesDep, user: UserDep, next: str = "/") -> Response:
    if not user.anonymous:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_page(request, templates, next)


@router.post("/login")
def login(
    request: Request,
    templates: TemplatesDep,
    accounts: AccountsDep,
    email: Annotated[Text, Form(max_length=EMAIL_LIMIT)] = "",
    password: Annotated[Text, Form(max_length=MAX_PASSWORD_CHARS)] = "",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    if not csrf.check_token(request, csrf_token):
        return _login_page(request, templates, next, email, csrf.REFUSED, status.HTTP_403_FORBIDDEN)
    try:
        user = accounts.sign_in(email, password, client_address(request), via="browser")
    except LoginRefused as refused:
        return _login_page(request, templates, next, email, str(refused), status.HTTP_401_UNAUTHORIZED)
    sessions.begin(request, user.id)  # type: ignore[arg-type]  # a signed-in user has an id
    csrf.renew(request)
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout")
def logout(request: Request, user: UserDep, accounts: AccountsDep) -> Response:
    """Sign out (the CSRF token was checked by the policy, the session being signed in)."""
    if not user.anonymous and getattr(request.state, "authenticated_by", None) == "session":
        accounts.record_sign_out(user, client_address(request))
    sessions.end(request)
    return RedirectResponse("/", status_code=303)


class TokenRequest(BaseModel):
    """An account's email and password."""

    email: Text = Field(max_length=EMAIL_LIMIT)
    password: Text = Field(max_length=MAX_PASSWORD_CHARS)


class TokenResponse(BaseModel):
    token: str = Field(description="Send it as `Authorization: Bearer TOKEN`; shown only this once")


@api_router.post(
    "/token", summary="An API token for scripts", responses={**error_responses(400, 413, 422), **_REFUSED_401}
)
def issue_token(body: TokenRequest, request: Request, accounts: AccountsDep) -> TokenResponse:
    """A new bearer token for the account, after the same checks and throttling as the sign-in page."""
    client = client_address(request)
    try:
        user = accounts.sign_in(body.email, body.password, client, via="token")
    except LoginRefused as refused:
        raise HTTPException(401, str(refused), headers={"WWW-Authenticate": "Bearer"}) from None
    return TokenResponse(token=accounts.issue_token(user, client))


@api_router.delete(
    "/token", summary="Revoke the token this request is sent with", status_code=204, responses=_REFUSED_401
)
def revoke_token(request: Request, user: UserDep, accounts: AccountsDep) -> Response:
    token = bearer_token(request)
    if not token or user.anonymous:
        raise HTTPException(401, "send the token to revoke as Authorization: Bearer TOKEN",
                            headers={"WWW-Authenticate": "Bearer"})
    accounts.revoke_token(token, Actor.of(user, client_address(request)))
    return Response(status_code=204)
