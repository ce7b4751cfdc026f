"""The one Jinja environment of the project: where the templates are, how they escape, the filters.

The web app's pages and the standalone evaluation report are rendered by environments made here,
from the same ``web/templates`` folder and the same ``base.html`` layout, so there is one idea of
escaping (on: documents, questions and notes are untrusted) and one layout. It renders nothing itself.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

PROJECT_WEB_DIR = Path(__file__).resolve().parent.parent / "web"


class WebFilesMissing(RuntimeError):
    """The templates/static folder is not where the settings say."""


def web_dir(folder: Path | None = None) -> Path:
    """The folder holding ``templates/`` and ``static/``: the one given, or the project's ``web/``."""
    folder = folder or PROJECT_WEB_DIR
    if not (folder / "templates").is_dir() or not (folder / "static").is_dir():
        raise WebFilesMissing(f"no templates/ and static/ in {folder}; set SCORE_WEB_DIR to the project's web/ folder")
    return folder


def format_metric(value: Any, name: str = "") -> str:
    """A metric as people read it: '0.912', '14 ms', '40', '—' when it was not computed."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or name == "questions":
        return str(int(value))
    if name.endswith("_ms"):
        return f"{value:,.0f} ms"
    return f"{value:.3f}"


def format_delta(delta: float | None, name: str = "") -> str:
    """A change of a metric: '+0.025', '-3 ms'."""
    if delta is None:
        return "—"
    return f"{delta:+,.0f} ms" if name.endswith("_ms") else f"{delta:+.3f}"


@lru_cache(maxsize=8)
def environment(folder: Path | None = None) -> jinja2.Environment:
    """The Jinja environment over ``<web dir>/templates`` (one per folder, made once)."""
    templates = web_dir(folder) / "templates"
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["metric"] = format_metric
    env.filters["delta"] = format_delta
    return env
