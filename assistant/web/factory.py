"""The app factory import string uvicorn's workers start from: ``assistant.web.factory:app_from_environment``.

Each worker process calls it once: settings come from the environment (``SCORE_*``, and what
``serve`` decided for every worker, such as ``OMP_NUM_THREADS``), the database is expected to be
migrated already (``serve`` runs ``score-assistant db upgrade`` once before the workers start), and
the index to be built (``serve`` builds or checks it once, before the workers). Each worker then
follows the index builds that ``ingest`` swaps in (``assistant.web.live_index``).
"""

from __future__ import annotations

from fastapi import FastAPI

from assistant.config import Settings
from assistant.web.app import create_app

IMPORT_STRING = "assistant.web.factory:app_from_environment"


def app_from_environment() -> FastAPI:
    """One worker's app: settings from the environment, no migration at start-up."""
    return create_app(Settings(), migrate=False)
