"""Security policies, declared per router: which Content-Security-Policy a router's pages get.

A router is made with ``secured_router(POLICY, …)``; a dependency of that router records the policy
on the request, and the ``SecurityHeaders`` middleware writes it on the response. A response no
router produced (404 for an unknown path, 413) gets ``APP``. Sign-in requirements and CSRF checks
join the policy with the accounts feature; no route checks roles inline.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Request
from starlette.types import Scope

_STATE_KEY = "security_policy"


@dataclass(frozen=True)
class SecurityPolicy:
    name: str
    content_security_policy: str


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
    def apply(request: Request) -> None:
        request.state.security_policy = policy

    return Depends(apply)


def secured_router(policy: SecurityPolicy, **kwargs: Any) -> APIRouter:
    """An APIRouter whose every response carries ``policy``."""
    dependencies = [_declare(policy), *kwargs.pop("dependencies", [])]
    return APIRouter(dependencies=dependencies, **kwargs)


def policy_of(scope: Scope) -> SecurityPolicy:
    """The policy the answering router declared, or APP."""
    return scope.get("state", {}).get(_STATE_KEY, APP)
