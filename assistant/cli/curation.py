"""``score-assistant curation``: list curated answers, check them against the live index, export
the published ones as a test set.

Thin: ``curation.staleness`` and ``curation.testset`` do the work over the database of the settings
(migrated first, as the web app would) and the live index build (read without loading the model).
Exit status: 0 done; 1 no index or a database that cannot be used. Never a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from assistant.cli.common import JsonOpt, fail
from assistant.config import Settings
from assistant.db.curation_store import CurationStore
from assistant.search.index import IndexProblem, LoadedIndex, load_index

curation_app = typer.Typer(
    help="Curated answers: list them, check their quotes against the index, export them as a test set.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder (default: SCORE_INDEX_DIR)")]


@contextmanager
def _store() -> Iterator[CurationStore]:
    store = None
    try:
        store = CurationStore.open(Settings())
        yield store
    except SQLAlchemyError as exc:
        fail(f"cannot use the database: {exc.__class__.__name__}: {exc}", 1)
    finally:
        if store is not None:
            store.database.dispose()


def _index(index_dir: Path | None) -> LoadedIndex:
    settings = Settings()
    if index_dir is not None:
        settings = settings.model_copy(update={"index_dir": index_dir})
    try:
        return load_index(settings)
    except IndexProblem as exc:
        fail(str(exc), 1)


@curation_app.command("list")
def list_curated(
    status: Annotated[str | None, typer.Option(help="draft | published | retired | needs_review")] = None,
    country: Annotated[str | None, typer.Option(help="Only answers for this country")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The curated answers: id, status, version, country, review-by date, question."""
    if status is not None and status not in ("draft", "published", "retired", "needs_review"):
        fail(f"unknown status {status!r}: draft, published, retired or needs_review")
    with _store() as store:
        records = store.list(status, country)  # type: ignore[arg-type]
    if as_json:
        typer.echo(json.dumps([r.model_dump(mode="json") for r in records], ensure_ascii=False, indent=2))
        return
    for r in records:
        due = " (due for review)" if r.due_for_review() else ""
        typer.echo(f"{r.id}\t{r.status}{due}\tv{r.version}\t{r.country or '-'}\t{r.review_by}\t{r.question}")
    typer.echo(f"{len(records)} curated answer(s)", err=True)


@curation_app.command("check")
def check(index: IndexOpt = None, as_json: JsonOpt = False) -> None:
    """Compare every curated answer's quoted passages with the live index; flag those that changed."""
    from assistant.curation.staleness import check_sources

    loaded = _index(index)
    with _store() as store:
        report = check_sources(store.database, loaded)
    if as_json:
        typer.echo(json.dumps({"checked": report.checked, "changed_passages": report.changed_passages,
                               "flagged": report.flagged}))
    else:
        typer.echo(report.summary())


@curation_app.command("export-testset")
def export_testset(
    file: Annotated[Path, typer.Argument(help="The JSON Lines test set to write")], index: IndexOpt = None
) -> None:
    """Published curated answers as test-set items: each phrasing a question, must_contain from the quotes."""
    from assistant.curation.testset import export_testset as export

    loaded = _index(index)
    with _store() as store:
        try:
            count = export(store, loaded, file)
        except OSError as exc:
            fail(f"cannot write {file}: {exc.strerror or exc}", 1)
    typer.echo(f"{count} test item(s) written to {file}", err=True)
