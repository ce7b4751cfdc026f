"""Security policies, declared per router: who may use a router's routes, and which
Content-Security-Policy its pages get.

A router is made with ``secured_router(POLICY, …)``; a dependency of that router asks
``current_user`` who is asking, refuses a user whose role the policy does not admit (401 for an
anonymous visitor, 403 for a signed-in one), and records the policy on the request, where the
``SecurityHeaders`` middleware writes it on the response. A response no router produced (404 for an
unknown path, 413) gets ``APP``. No route checks roles inline. Sign-in and CSRF come with accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from starlette.types import Scope

from assistant.models import Role, User
from assistant.web.deps import current_user

_STATE_KEY = "security_policy"


@dataclass(frozen=True)
class SecurityPolicy:
    name: str
    content_security_policy: str
    roles: frozenset[Role] | None = None  # who may use the routes; None: everyone, anonymous trainers too

    def admits(self, user: User) -> bool:
        return self.roles is None or (not user.anonymous and user.role in self.roles)

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


def _declare(policy: SecurityPolicy) -> Any:
    def apply(request: Request, user: Annotated[User, Depends(current_user)]) -> None:
        setattr(request.state, _STATE_KEY, policy)
        if not policy.admits(user):
            if user.anonymous:
                raise HTTPException(401, "sign in to use this page")
            raise HTTPException(403, f"the {user.role} role may not use this page")

    return Depends(apply)


def secured_router(policy: SecurityPolicy, **kwargs: Any) -> APIRouter:
    """An APIRouter whose every response carries ``policy``."""
    dependencies = [_declare(policy), *kwargs.pop("dependencies", [])]
    return APIRouter(dependencies=dependencies, **kwargs)


def policy_of(scope: Scope) -> SecurityPolicy:
    """The policy the answering router declared, or APP."""
    return scope.get("state", {}).get(_STATE_KEY, APP)
