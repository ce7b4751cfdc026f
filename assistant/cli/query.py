"""Asking from the command line: ``ask``, ``search``, ``info`` and ``chat``. Thin: the library answers.

A question that is not valid text (invalid UTF-8 in an argument or on stdin) is refused like any bad
question: one line on stderr and exit status 2, or, for ``ask --json -``, an error object for that
line while the others are answered.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from typing import Annotated

import typer

from assistant.cli.common import JsonOpt, QueryOptions, fail, load_assistant, valid_filters, with_query_options
from assistant.config import Settings
from assistant.search.filters import QuestionError, check_question, shown
from assistant.search.index import IndexProblem


def _stdin_lines() -> Iterator[str]:
    """Lines of stdin, whatever the locale: a byte that is not UTF-8 becomes a lone surrogate, which
    the question check then refuses for that line alone (a strict decoder would stop the whole run)."""
    for raw in sys.stdin.buffer:
        yield raw.decode("utf-8", "surrogateescape")


def _refuse_early(question: str, settings: Settings) -> None:
    """A bad question needs no model or index to be refused: exit 2 before they load."""
    try:
        check_question(question, settings)
    except QuestionError as exc:
        fail(str(exc))


@with_query_options
def ask(
    question: Annotated[str, typer.Argument(help="The question, or - to read one question per line from stdin")],
    options: QueryOptions,
) -> None:
    """Answer a question with quoted, cited evidence (or say plainly that the documents do not answer it)."""
    from assistant.qa.presenters import answer_dict, answer_text

    settings = Settings()
    if question != "-":
        _refuse_early(question, settings)
    assistant = load_assistant(settings)
    valid = valid_filters(assistant, options.filters)
    questions: Iterable[str] = _stdin_lines() if question == "-" else [question]
    errors = 0
    for line in questions:
        text = line.strip() if question == "-" else line
        if question == "-" and not text:
            continue
        try:
            answer = assistant.ask(text, valid, options.k, options.retriever)
        except QuestionError as exc:
            errors += 1
            if options.as_json:
                # shown(): the line may hold bytes that are not UTF-8, which no JSON line can carry.
                typer.echo(json.dumps({"question": shown(text), "error": str(exc)}, ensure_ascii=False))
            else:
                typer.echo(f"error: {exc}", err=True)
            continue
        if options.as_json:
            typer.echo(json.dumps(answer_dict(answer), ensure_ascii=False))
        else:
            typer.echo(answer_text(answer) + ("\n" if question == "-" else ""))
    if errors:
        raise typer.Exit(2)


@with_query_options
def search(query: Annotated[str, typer.Argument(help="What to look for")], options: QueryOptions) -> None:
    """Ranked passages for a query, without composing an answer."""
    from assistant.qa.presenters import passage_dict, passage_line

    settings = Settings()
    _refuse_early(query, settings)
    assistant = load_assistant(settings)
    valid = valid_filters(assistant, options.filters)
    try:
        passages = assistant.search(query, valid, options.k, options.retriever)
    except QuestionError as exc:
        fail(str(exc))
    if options.as_json:
        typer.echo(json.dumps([passage_dict(p) for p in passages], ensure_ascii=False, indent=2))
        return
    for passage in passages:
        typer.echo(passage_line(passage))


def info(as_json: JsonOpt = False) -> None:
    """What the index holds: documents, chunks, model, countries, regions, modules, topics."""
    from assistant.search.filters import facets
    from assistant.search.index import load_index

    settings = Settings()
    try:
        index = load_index(settings)
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
    for key, label in (("country", "Countries"), ("region", "Regions"), ("module", "Modules"), ("topic", "Topics")):
        values = ", ".join(f"{name} ({count})" for name, count in summary["facets"][key].items())
        typer.echo(f"{label}: {values or '(none)'}")


def chat() -> None:
    """Ask questions in the terminal, one after another (empty line or Ctrl-D to leave)."""
    from assistant.qa.presenters import answer_text

    assistant = load_assistant(Settings())
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
