"""``score-assistant ingest``: load, chunk, embed and index documents, reporting each file that fails."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import fail, progress_bar
from assistant.config import Settings
from assistant.ingest.build import IngestResult
from assistant.search.embedding import ModelLoadError
from assistant.search.index import IndexProblem


def report_failures(result: IngestResult) -> None:
    for failure in result.failures:
        typer.echo(f"FAILED {failure.path}: {failure.reason}", err=True)


def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the corpus folder)")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Index only these paths, from scratch")] = False,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Build only when missing or out of date")] = False,
) -> None:
    """Load, chunk, embed and index documents; the new index replaces the old only when complete."""
    from assistant.ingest.build import index_status
    from assistant.ingest.build import ingest as run_ingest

    settings = Settings()
    if if_stale and not paths:
        state, why = index_status(settings)
        if state == "fresh":
            typer.echo(f"Index is up to date ({why}).")
            return
        typer.echo(f"Building the index: {why}.", err=True)
    try:
        result = run_ingest(settings, paths or None, rebuild=rebuild, progress_factory=progress_bar)
    except (IndexProblem, ModelLoadError) as exc:
        fail(str(exc), 1)
    report_failures(result)
    for dropped in result.dropped:
        typer.echo(f"removed from the index (file no longer exists): {dropped}", err=True)
    if result.stats is None:
        fail("no document could be ingested; the previous index (if any) is unchanged", 1)
    stats = result.stats
    typer.echo(
        f"Indexed {stats.documents} document(s), {stats.chunks} chunks, {stats.sentences} sentences "
        f"({stats.embedded} texts embedded, {stats.reused} from cache) into {stats.path}."
    )
    if result.failures:
        fail(f"{len(result.failures)} file(s) failed; the others are indexed", 1)
