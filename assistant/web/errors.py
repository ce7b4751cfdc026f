"""How the web app answers a request it cannot serve, and how ``/openapi.json`` documents those answers.

Owns: which domain error is which status (a ``QuestionError`` is 400; an unknown conversation,
record or passage 404; a request that does not fit the schema 422), the bodies sent (``ErrorBody``,
``ValidationErrorBody``: ``detail`` is always one readable string) and their documentation
(``error_responses`` for a route's ``responses=``), and the choice between JSON and HTML. A route the
OpenAPI schema lists is API: it answers JSON. Any other path is a page: a browser asking for HTML gets
the error page (``error.html``), htmx gets the form-error fragment, any other client JSON.
Unexpected exceptions are not handled here: ``middleware.SecurityHeaders`` answers them with a 500.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from assistant.db.collections_store import CollectionError, CollectionFull
from assistant.db.curation_records import CurationConflict, CurationError, DuplicatePhrasing, SecondReviewRequired
from assistant.db.engine import UnknownRecord
from assistant.export.attribution import ExportRefused
from assistant.export.handouts import NothingToExport
from assistant.export.render import UnknownFormat
from assistant.library.browse import UnknownStory
from assistant.qa.passages import UnknownPassage
from assistant.search.filters import QuestionError, shown
from assistant.web.conversation import UnknownConversation

API_PREFIX = "/api/"
FORM_ERROR_ID = "form-error"


class ErrorBody(BaseModel):
    """A refused request: what was wrong, in words a person can act on."""

    detail: str = Field(description="What was wrong and, where it helps, the valid values")


class FieldError(BaseModel):
    """One part of the request that does not fit the schema. The rejected value itself is not echoed."""

    loc: list[str] = Field(description='Where: e.g. ["body", "k"] or ["query", "hl", "0"]')
    msg: str
    type: str


class ValidationErrorBody(ErrorBody):
    """A request that does not fit the schema: ``detail`` sums every problem up in one line."""

    errors: list[FieldError]


_DESCRIPTIONS = {
    400: "Bad input: an empty or over-long question, an unknown filter value (``detail`` lists the valid ones), "
    "a body that is not UTF-8",
    404: "Nothing with this id (``detail`` says what was looked for)",
    401: "Not signed in: sign in, or send ``Authorization: Bearer TOKEN``",
    403: "Signed in, but this role or person may not do this (``detail`` says why)",
    409: "The licence of a document does not allow this export (``detail`` names each document and why); "
    "or a curated answer's state does not allow the change, or its phrasing is another published answer's "
    "(``detail`` names that answer)",
    413: "The request body is over the size limit, or a collection would hold over 5,000 items",
    422: "The request does not fit the schema",
    503: "The database is unavailable: nothing was stored (``Retry-After`` says when to try again)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route that can answer these error statuses."""
    return {
        status: {"model": ValidationErrorBody if status == 422 else ErrorBody, "description": _DESCRIPTIONS[status]}
        for status in statuses
    }


def _readable(error: dict) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()) if part != "body") or "body"
    if error.get("type") == "json_invalid":
        return f"the request body is not valid JSON ({error.get('ctx', {}).get('error', 'cannot be parsed')})"
    return f"{where}: {error.get('msg', 'invalid value')}"


def _is_page(request: Request) -> bool:
    route = request.scope.get("route")
    if route is None:  # no route matched: a mistyped page address, unless under the API's prefix
        return not request.url.path.startswith(API_PREFIX)
    return not getattr(route, "include_in_schema", True)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def form_error(request: Request, message: str, status_code: int) -> Response:
    """The error fragment htmx puts in the question form's error slot, whatever the form targets."""
    headers = {"HX-Retarget": f"#{FORM_ERROR_ID}", "HX-Reswap": "innerHTML"}
    return request.app.state.templates.TemplateResponse(
        request, "_form_error.html", {"error": message}, status_code=status_code, headers=headers
    )


def error_page(request: Request, message: str, status_code: int, headers: dict[str, str] | None = None) -> Response:
    """The full HTML page of a refused request."""
    title = "Not found" if status_code == 404 else "This request could not be answered"
    return request.app.state.templates.TemplateResponse(
        request, "error.html", {"title": title, "message": message}, status_code=status_code, headers=headers
    )


def _answer(request: Request, body: ErrorBody, status_code: int) -> Response:
    """JSON for the API and for clients that do not ask for HTML; the page or the fragment otherwise."""
    if _is_page(request):
        if request.headers.get("HX-Request") == "true":
            return form_error(request, body.detail, status_code)
        if _wants_html(request):
            return error_page(request, body.detail, status_code)
    return JSONResponse(body.model_dump(), status_code=status_code)


# Each domain error and the status it is answered with; a subclass may say otherwise than its base
# (a conflict is a CurationError, answered 409 rather than 422). Routes list these in their responses.
DOMAIN_STATUS: dict[type[Exception], int] = {
    QuestionError: 400,
    UnknownConversation: 404, UnknownRecord: 404, UnknownPassage: 404, UnknownStory: 404,
    SecondReviewRequired: 403,
    ExportRefused: 409, CurationConflict: 409, DuplicatePhrasing: 409,
    CollectionFull: 413,
    # Input that fits the schema but not the data (a quote not in its passage, an answer that quotes
    # nothing, a format not offered): 422, as schema errors.
    CollectionError: 422, NothingToExport: 422, UnknownFormat: 422, CurationError: 422,
}


def status_of(exc: Exception) -> int | None:
    """The status of a domain error (its own class's, else its nearest base's); None for any other."""
    return next((DOMAIN_STATUS[kind] for kind in type(exc).__mro__ if kind in DOMAIN_STATUS), None)


async def _domain_error(request: Request, exc: Exception) -> Response:
    status = status_of(exc) or 500
    body = ValidationErrorBody(detail=shown(exc), errors=[]) if status == 422 else ErrorBody(detail=shown(exc))
    return _answer(request, body, status)


async def _invalid_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # Only where and what: the rejected input itself may be NaN or hold lone surrogates, which no
    # JSON response can carry.
    errors = [
        FieldError(loc=[shown(part) for part in e.get("loc", ())], msg=shown(e.get("msg", "")), type=str(e.get("type")))
        for e in exc.errors()
    ]
    detail = "; ".join(_readable(e) for e in exc.errors()) or "invalid request"
    return _answer(request, ValidationErrorBody(detail=shown(detail), errors=errors), 422)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (unknown path, wrong method, 413, 401/403): the page for browsers."""
    assert isinstance(exc, HTTPException)
    if _is_page(request) and _wants_html(request) and exc.status_code >= 400:
        return error_page(request, shown(exc.detail), exc.status_code, exc.headers)
    return await http_exception_handler(request, exc)


def install_error_handlers(app: FastAPI) -> None:
    for kind in DOMAIN_STATUS:
        app.add_exception_handler(kind, _domain_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
