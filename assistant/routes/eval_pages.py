"""The /eval pages for evaluators: the saved evaluation reports, listed, and each one shown.

Thin: ``assistant.reports`` lists, finds and renders the reports; this module maps a bad or unknown
report name to a 404 page.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from assistant.reports import ReportError, find_report, list_reports, render_report_html
from assistant.routes.deps import TemplatesDep

router = APIRouter(include_in_schema=False)


@router.get("/eval")
def eval_index(request: Request, templates: TemplatesDep) -> Response:
    reports = list_reports(request.app.state.settings.reports_dir)
    return templates.TemplateResponse(request, "eval_list.html", {"reports": reports})


@router.get("/eval/{name}")
def eval_report(name: str, request: Request, templates: TemplatesDep) -> Response:
    try:
        path = find_report(request.app.state.settings.reports_dir, name)
        return HTMLResponse(render_report_html(path))
    except ReportError as exc:
        return templates.TemplateResponse(request, "not_found.html", {"message": str(exc)}, status_code=404)
