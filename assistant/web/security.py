"""Security policies, declared per router: who may use a router's routes, and which
Content-Security-Policy its pages get.

A router is made with ``secured_router(POLICY, …)``; a dependency of that router asks
``current_user`` who is asking, refuses a user whose role the policy does not admit, checks the CSRF
token of a state-changing request made with the session cookie (``web.csrf``), and records the
policy on the request, where the ``SecurityHeaders`` middleware writes it on the response. A
response no router produced (404 for an unknown path, 413) gets ``APP``. No route checks roles inline.

Refusals: a signed-in user without the role gets 403. An anonymous visitor gets 401 from the API
(``WWW-Authenticate: Bearer``); on a page a browser is sent to ``/login?next=…`` (303, or htmx's
``HX-Redirect``). A policy without roles admits everyone, anonymous trainers too, unless
``SCORE_REQUIRE_LOGIN`` is set: then only signed-in users, except on ``PUBLIC`` routers (signing in,
health checks), which stay open whatever the setting.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.types import Scope

from assistant.models import Role, User
from assistant.web import csrf
from assistant.web.auth import sign_in_url
from assistant.web.deps import current_user

_STATE_KEY = "security_policy"


@dataclass(frozen=True)
class SecurityPolicy:
    name: str
    content_security_policy: str
    roles: frozenset[Role] | None = None  # who may use the routes; None: everyone, anonymous trainers too
    public: bool = False  # open to anonymous visitors even when SCORE_REQUIRE_LOGIN is set

    def admits(self, user: User, require_login: bool = False) -> bool:
        if self.roles is not None:
            return not user.anonymous and user.role in self.roles
        return self.public or not require_login or not user.anonymous

    def only(self, *roles: Role) -> SecurityPolicy:
        """The same policy, for these roles only."""
        return SecurityPolicy(self.name, self.content_security_policy, frozenset(roles))


# The chat and the API: scripts and styles from this server only, so no inline script, no ``on*``
# handler and no inline style can run, whatever a document or a question holds.
APP = SecurityPolicy(
    "app",
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
)
# Signing in and the health checks: the chat's headers, open to everyone whatever SCORE_REQUIRE_LOGIN says.
PUBLIC = replace(APP, name="public", public=True)
# The OpenAPI pages (/docs, /redoc) are FastAPI's own and load Swagger/ReDoc from their CDN with an
# inline bootstrap script: a policy that allows exactly that, on those pages only.
DOCS = SecurityPolicy(
    "docs",
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; "
    "img-src 'self' data: https://fastapi.tiangolo.com https://cdn.redoc.ly; "
    "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; frame-ancestors 'none'",
)
# A saved evaluation report is one self-contained page: its own inline styles and data: charts, no scripts.
REPORT = SecurityPolicy(
    "report",
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; "
    "frame-ancestors 'none'",
)


def _refusal(request: Request, user: User, page: bool) -> HTTPException:
    if not user.anonymous:
        return HTTPException(403, f"the {user.role} role may not use this page")
    message = "sign in to use this page"
    if page and request.headers.get("HX-Request") == "true":
        return HTTPException(401, message, headers={"HX-Redirect": sign_in_url(request)})
    if page and "text/html" in request.headers.get("accept", ""):
        # A redirect raised as an HTTPException: the app's handler sends 3xx as they are, Location included.
        return HTTPException(303, message, headers={"Location": sign_in_url(request)})
    return HTTPException(401, message, headers={"WWW-Authenticate": "Bearer"})


def _declare(policy: SecurityPolicy, page: bool) -> Any:
    async def apply(request: Request, user: Annotated[User, Depends(current_user)]) -> None:
        setattr(request.state, _STATE_KEY, policy)
        settings = getattr(request.app.state, "settings", None)
        if not policy.admits(user, require_login=settings is not None and settings.web.require_login):
            raise _refusal(request, user, page)
        await csrf.check(request)

    return Depends(apply)


def secured_router(policy: SecurityPolicy, **kwargs: Any) -> APIRouter:
    """An APIRouter whose every response carries ``policy``; pages when ``include_in_schema=False``
    (an anonymous browser is sent to sign in), API routes otherwise (401)."""
    page = kwargs.get("include_in_schema") is False
    dependencies = [_declare(policy, page), *kwargs.pop("dependencies", [])]
    return APIRouter(dependencies=dependencies, **kwargs)


def policy_of(scope: Scope) -> SecurityPolicy:
    """The policy the answering router declared, or APP."""
    return scope.get("state", {}).get(_STATE_KEY, APP)
