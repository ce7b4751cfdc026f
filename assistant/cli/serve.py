"""``score-assistant serve``: build or check the index and migrate the database once, then serve the
web chat and API from one process or from several worker processes.

With one worker the app object is served from this process (the model loaded for the build serves
too); with several, each worker builds its app from the factory (``assistant.web.factory``,
``assistant.web.server``) and reads its settings from the same environment as this command.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer

from assistant.cli.common import fail, progress_bar
from assistant.cli.db import upgrade as upgrade_database
from assistant.cli.ingest import report_failures
from assistant.config import Settings
from assistant.search.embedding import Embedder, ModelLoadError
from assistant.search.index import IndexProblem

# Measured on 2 cores, 10 clients (README, Deployment): two processes answer more than threads in one
# process, whose Python work (HTTP, retrieval, storing the turn) takes turns on one interpreter lock.
DEFAULT_WORKERS = 2
# Requests run side by side (threads, or worker processes), so each embeds its question on one core:
# with torch's default of one thread per core, concurrent requests fight over the cores (measured in
# the README's Deployment section). An OMP_NUM_THREADS already in the environment wins.
THREADS_PER_REQUEST = "1"


def _index_ready(settings: Settings) -> Embedder:
    """Build the index when it is missing or stale, else only check it. Returns the model, loaded
    here in any case: a model that cannot load is said once, before any worker starts, and its ONNX
    export (when that backend is used) is made once, not by every worker at the same time."""
    from assistant.ingest.build import index_status
    from assistant.ingest.build import ingest as run_ingest

    state, why = index_status(settings)
    embedder = Embedder(settings)
    if state != "fresh":
        typer.echo(f"Building the index: {why}.", err=True)
        result = run_ingest(settings, embedder=embedder, progress_factory=progress_bar)
        report_failures(result)
        if result.stats is None and state == "missing":
            fail("no document could be ingested, so there is no index to serve", 1)
    return embedder


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option("--workers", min=1, max=64, help="Worker processes (each loads the model and index)")
    ] = DEFAULT_WORKERS,
) -> None:
    """Start the web chat and JSON API; the index is built first when it is missing or stale."""
    from assistant.qa.service import Assistant
    from assistant.templating import WebFilesMissing, web_dir
    from assistant.web.app import create_app
    from assistant.web.server import run_here, run_workers

    os.environ.setdefault("OMP_NUM_THREADS", THREADS_PER_REQUEST)  # before torch loads, here and in the workers
    # Each worker embeds a question on its share of the cores; the environment reaches the workers too.
    os.environ.setdefault("SCORE_QUERY_THREADS", str(max(1, (os.cpu_count() or 1) // workers)))
    settings = Settings()
    try:
        web_dir(settings.web.web_dir)  # a missing web/ folder is said once, here, not by every worker
        embedder = _index_ready(settings)
        upgrade_database()  # once, before any worker opens the database
        # One worker: this process serves, with the model it loaded. Several: each loads its own.
        web = create_app(settings, Assistant(settings, embedder=embedder), migrate=False) if workers == 1 else None
    except (IndexProblem, ModelLoadError, WebFilesMissing) as exc:
        fail(str(exc), 1)
    del embedder  # with several workers this process only supervises them: its model can go
    typer.echo(f"SCORE Assistant at http://{host}:{port}/ (API docs at /docs), {workers} worker(s)", err=True)
    if web is not None:
        run_here(web, host, port)
    else:
        run_workers(workers, host, port)
