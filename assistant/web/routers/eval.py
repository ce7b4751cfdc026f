"""The /eval pages for evaluators: the saved evaluation reports, listed, and each one shown.

Thin: ``assistant.evaluation.reports`` lists, finds, reads and renders the reports; this module maps
a bad or unknown report name to a 404 page. The list is an app page; a report is a standalone page
under a script-free policy of its own.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from assistant.evaluation.reports.files import ReportError, load_report
from assistant.evaluation.reports.listing import find_report, list_reports
from assistant.evaluation.reports.render import render_report_html
from assistant.web.deps import TemplatesDep
from assistant.web.errors import error_page
from assistant.web.security import APP, REPORT, secured_router

router = secured_router(APP, include_in_schema=False)
report_router = secured_router(REPORT, include_in_schema=False)


@router.get("/eval")
def eval_index(request: Request, templates: TemplatesDep) -> Response:
    reports = list_reports(request.app.state.settings.web.reports_dir)
    return templates.TemplateResponse(request, "eval_list.html", {"reports": reports})


@report_router.get("/eval/{name}")
def eval_report(name: str, request: Request, templates: TemplatesDep) -> Response:
    try:
        path = find_report(request.app.state.settings.web.reports_dir, name)
        return HTMLResponse(render_report_html(load_report(path), templates.env))
    except ReportError as exc:
        return error_page(request, str(exc), 404)
