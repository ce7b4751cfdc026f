"""``score-assistant serve``: build the index if missing or stale, then serve the web chat and API."""

from __future__ import annotations

from typing import Annotated

import typer

from assistant.cli.common import fail, progress_bar
from assistant.cli.ingest import report_failures
from assistant.config import Settings
from assistant.search.embedding import ModelLoadError
from assistant.search.index import IndexProblem


def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
) -> None:
    """Start the web chat and JSON API; the index is built first when it is missing or stale."""
    import uvicorn

    from assistant.ingest.build import index_status
    from assistant.ingest.build import ingest as run_ingest
    from assistant.qa.service import Assistant
    from assistant.search.embedding import Embedder
    from assistant.templating import WebFilesMissing
    from assistant.web.app import create_app

    settings = Settings()
    state, why = index_status(settings)
    try:
        embedder = Embedder(settings)  # loaded once, for the build and for serving
        if state != "fresh":
            typer.echo(f"Building the index: {why}.", err=True)
            result = run_ingest(settings, embedder=embedder, progress_factory=progress_bar)
            report_failures(result)
            if result.stats is None and state == "missing":
                fail("no document could be ingested, so there is no index to serve", 1)
        web = create_app(settings, Assistant(settings, embedder=embedder))
    except (IndexProblem, ModelLoadError, WebFilesMissing) as exc:
        fail(str(exc), 1)
    typer.echo(f"SCORE Assistant at http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(web, host=host, port=port)
