"""The ``score-assistant`` command line: thin wrappers over the library, no logic of its own.

Parses options, calls ingest / Assistant / evaluation, and prints. Bad input ends with a one-line
message on stderr and a non-zero exit status, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from tqdm import tqdm

from assistant.cli_eval import eval_app
from assistant.config import Settings
from assistant.embedding import ModelLoadError
from assistant.index import IndexProblem
from assistant.retrieval import RETRIEVERS, QuestionError, check_question

app = typer.Typer(
    help="SCORE Assistant: cited answers from ILO SCORE publications.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

app.add_typer(eval_app, name="eval")

CountryOpt = Annotated[str | None, typer.Option("--country", help="Only passages about this country")]
RegionOpt = Annotated[str | None, typer.Option("--region", help="Only passages from this region")]
ModuleOpt = Annotated[str | None, typer.Option("--module", help="Only passages mentioning this SCORE module")]
DocumentOpt = Annotated[str | None, typer.Option("--document", help="Only passages of this document (id)")]
KOpt = Annotated[int | None, typer.Option("--k", min=1, max=50, help="Number of passages")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output")]
RetrieverOpt = Annotated[str | None, typer.Option("--retriever", help="hybrid | dense | bm25")]


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def progress_bar(total: int, description: str) -> tqdm:
    return tqdm(total=total, desc=description, unit="text", file=sys.stderr, dynamic_ncols=True)


def _assistant(settings: Settings):
    from assistant.service import Assistant

    try:
        return Assistant(settings)
    except (IndexProblem, ModelLoadError) as exc:
        fail(str(exc), 1)


def _check_retriever(name: str | None) -> None:
    if name is not None and name not in RETRIEVERS:
        fail(f"unknown retriever '{name}'; choose one of: {', '.join(RETRIEVERS)}")


@app.command()
def ingest(
    paths: Annotated[list[Path] | None, typer.Argument(help="Files or folders (default: the corpus folder)")] = None,
    rebuild: Annotated[bool, typer.Option("--rebuild", help="Index only these paths, from scratch")] = False,
    if_stale: Annotated[bool, typer.Option("--if-stale", help="Build only when missing or out of date")] = False,
) -> None:
    """Load, chunk, embed and index documents; the new index replaces the old only when complete."""
    from assistant.ingest import index_status
    from assistant.ingest import ingest as run_ingest

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
    for failure in result.failures:
        typer.echo(f"FAILED {failure.path}: {failure.reason}", err=True)
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


def _filters(assistant, country, region, module, document):
    try:
        return assistant.filters(country=country, region=region, module=module, document=document)
    except QuestionError as exc:
        fail(str(exc))


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one question per line from stdin")],
    country: CountryOpt = None,
    region: RegionOpt = None,
    module: ModuleOpt = None,
    document: DocumentOpt = None,
    k: KOpt = None,
    as_json: JsonOpt = False,
    retriever: RetrieverOpt = None,
) -> None:
    """Answer a question with quoted, cited evidence (or say plainly that the documents do not answer it)."""
    from assistant.presenters import answer_dict, answer_text

    _check_retriever(retriever)
    settings = Settings()
    if question != "-":
        try:  # before the model loads: a bad question needs no index to be refused
            check_question(question, settings)
        except QuestionError as exc:
            fail(str(exc))
    assistant = _assistant(settings)
    filters = _filters(assistant, country, region, module, document)
    questions = sys.stdin if question == "-" else [question]
    errors = 0
    for line in questions:
        text = line.strip() if question == "-" else line
        if question == "-" and not text:
            continue
        try:
            answer = assistant.ask(text, filters, k, retriever)
        except QuestionError as exc:
            errors += 1
            if as_json:
                typer.echo(json.dumps({"question": text, "error": str(exc)}, ensure_ascii=False))
            else:
                typer.echo(f"error: {exc}", err=True)
            continue
        if as_json:
            typer.echo(json.dumps(answer_dict(answer), ensure_ascii=False))
        else:
            typer.echo(answer_text(answer) + ("\n" if question == "-" else ""))
    if errors:
        raise typer.Exit(2)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to look for")],
    country: CountryOpt = None,
    region: RegionOpt = None,
    module: ModuleOpt = None,
    document: DocumentOpt = None,
    k: KOpt = None,
    as_json: JsonOpt = False,
    retriever: RetrieverOpt = None,
) -> None:
    """Ranked passages for a query, without composing an answer."""
    from assistant.presenters import passage_dict, passage_line

    _check_retriever(retriever)
    assistant = _assistant(Settings())
    filters = _filters(assistant, country, region, module, document)
    try:
        passages = assistant.search(query, filters, k, retriever)
    except QuestionError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps([passage_dict(p) for p in passages], ensure_ascii=False, indent=2))
        return
    for passage in passages:
        typer.echo(passage_line(passage))


@app.command()
def info(as_json: JsonOpt = False) -> None:
    """What the index holds: documents, chunks, model, countries, regions, modules."""
    from assistant.index import check_manifest, load_index
    from assistant.retrieval import facets

    settings = Settings()
    try:
        index = load_index(settings)
        check_manifest(index.manifest, settings)
    except IndexProblem as exc:
        fail(str(exc), 1)
    summary = {
        "index": str(index.path),
        "built_at": index.manifest.get("built_at"),
        "model": index.manifest.get("model"),
        "counts": index.manifest.get("counts"),
        "documents": [
            {"doc_id": m.doc_id, "title": m.title, "file": m.file_name, "license": m.license,
             "attribution": m.attribution}
            for m in index.documents.values()
        ],
        "facets": facets(index),
    }
    if as_json:
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    typer.echo(f"Index: {summary['index']} (built {summary['built_at']})")
    typer.echo(f"Model: {summary['model']['name']} ({summary['model']['dimension']} dimensions)")
    counts = summary["counts"]
    typer.echo(f"Documents: {counts['documents']}  Chunks: {counts['chunks']}  Sentences: {counts['sentences']}")
    for doc in summary["documents"]:
        typer.echo(f"  - {doc['doc_id']}: {doc['title']} [{doc['license'] or 'licence unknown'}]")
    for key in ("country", "region", "module"):
        values = ", ".join(f"{name} ({count})" for name, count in summary["facets"][key].items())
        typer.echo(f"{key.capitalize()}s: {values or '(none)'}")


@app.command()
def chat() -> None:
    """Ask questions in the terminal, one after another (empty line or Ctrl-D to leave)."""
    from assistant.presenters import answer_text

    assistant = _assistant(Settings())
    typer.echo("SCORE Assistant — ask a question (empty line to quit).")
    while True:
        try:
            question = input("\n? ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            typer.echo(answer_text(assistant.ask(question)))
        except QuestionError as exc:
            typer.echo(f"error: {exc}", err=True)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port")] = 8000,
) -> None:
    """Start the web chat and JSON API; the index is built first when it is missing or stale."""
    import uvicorn

    from assistant.embedding import Embedder
    from assistant.ingest import index_status
    from assistant.ingest import ingest as run_ingest
    from assistant.service import Assistant
    from assistant.web import WebFilesMissing, create_app

    settings = Settings()
    state, why = index_status(settings)
    try:
        embedder = Embedder(settings)  # loaded once, for the build and for serving
        if state != "fresh":
            typer.echo(f"Building the index: {why}.", err=True)
            result = run_ingest(settings, embedder=embedder, progress_factory=progress_bar)
            for failure in result.failures:
                typer.echo(f"FAILED {failure.path}: {failure.reason}", err=True)
            if result.stats is None and state == "missing":
                fail("no document could be ingested, so there is no index to serve", 1)
        web = create_app(settings, Assistant(settings, embedder=embedder))
    except (IndexProblem, ModelLoadError, WebFilesMissing) as exc:
        fail(str(exc), 1)
    typer.echo(f"SCORE Assistant at http://{host}:{port}/ (API docs at /docs)", err=True)
    uvicorn.run(web, host=host, port=port)


if __name__ == "__main__":  # pragma: no cover
    app()
