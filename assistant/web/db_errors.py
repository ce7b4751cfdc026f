"""Database outages as 503 responses: a request that needs the database while it cannot be reached
(server stopped or restarting, network down, every pooled connection busy, SQLite locked too long)
gets ``503 {"detail": "the database is unavailable…"}`` with ``Retry-After``, not a 500 traceback;
it is answered as the app answers any refusal (``HTTPException``): JSON for the API, a page for a browser.

Owns only that mapping, installed by ``install_database_errors(app)``. Other database errors (a
constraint refused, bad SQL) are bugs and stay 500s. Readiness (``routers.health``) tells a load
balancer to stop routing to the worker meanwhile; the pool reconnects by itself once the database is
back (``assistant.db.engine``).
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException

UNAVAILABLE = "the database is unavailable; the request was not carried out, try again shortly"
RETRY_AFTER_S = 5
# What "cannot be reached" raises: the driver's connection and operational failures, and the pool
# running out of connections.
OUTAGES: tuple[type[Exception], ...] = (OperationalError, InterfaceError, PoolTimeout)

logger = logging.getLogger(__name__)


async def _unavailable(request: Request, exc: Exception) -> Response:
    # The driver's message may name hosts and users: logged for the operator, not sent.
    logger.warning("%s %s: database unavailable: %s", request.method, request.url.path, exc)
    refusal = HTTPException(503, UNAVAILABLE, headers={"Retry-After": str(RETRY_AFTER_S)})
    # Answered as the app answers any refusal (JSON for the API, a page for a browser).
    answer = request.app.exception_handlers.get(HTTPException, http_exception_handler)
    return await answer(request, refusal)


def install_database_errors(app: FastAPI) -> None:
    """Answer requests that fail for want of the database with 503 and a plain message."""
    for outage in OUTAGES:
        app.add_exception_handler(outage, _unavailable)
