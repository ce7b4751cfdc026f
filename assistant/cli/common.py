"""What every command of the CLI shares: failing with one line, progress bars, loading the assistant,
and the query options of ``ask`` and ``search`` (one per filter key, ``--k``, ``--json``, ``--retriever``).

Bad input ends with a one-line message on stderr and exit status 2; a missing or mismatched index or
model with status 1; never a traceback.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from tqdm import tqdm

from assistant.config import Settings
from assistant.search.embedding import ModelLoadError
from assistant.search.filters import FILTER_KEYS, QuestionError
from assistant.search.index import IndexProblem

if TYPE_CHECKING:
    from assistant.qa.service import Assistant
    from assistant.search.filters import Filters

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output")]
KOpt = Annotated[int | None, typer.Option("--k", min=1, max=50, help="Number of passages")]
RetrieverOpt = Annotated[str | None, typer.Option("--retriever", help="hybrid | dense | bm25")]

_FILTER_HELP = {
    "country": "Only passages about this country",
    "region": "Only passages from this region",
    "module": "Only passages mentioning this SCORE module",
    "topic": "Only passages on this topic",
    "document": "Only passages of this document (id or title)",
}


def fail(message: str, code: int = 2) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def progress_bar(total: int, description: str) -> tqdm:
    return tqdm(total=total, desc=description, unit="text", file=sys.stderr, dynamic_ncols=True)


def load_assistant(settings: Settings) -> Assistant:
    """The assistant the chat would use under these settings; a clear exit 1 when it cannot load."""
    from assistant.qa.service import Assistant

    try:
        return Assistant(settings)
    except (IndexProblem, ModelLoadError) as exc:
        fail(str(exc), 1)


def check_retriever(name: str | None) -> None:
    """Exit 2 naming the valid retrievers when ``name`` is not one (None means the default)."""
    from assistant.search.rankers import check_retriever as known

    if name is not None:
        try:
            known(name)
        except QuestionError as exc:
            fail(str(exc))


def valid_filters(assistant: Assistant, filters: dict[str, str | None]) -> Filters:
    try:
        return assistant.filters(**filters)
    except QuestionError as exc:
        fail(str(exc))


@dataclass(frozen=True)
class QueryOptions:
    """The options ``ask`` and ``search`` share: filters, passages per question, output, retriever."""

    filters: dict[str, str | None]
    k: int | None
    as_json: bool
    retriever: str | None


def with_query_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give a command one ``--<key>`` option per filter key plus ``--k``, ``--json`` and ``--retriever``;
    it receives them as ``options: QueryOptions`` (an unknown retriever exits 2 before anything loads)."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name != "options"]
    keyword = inspect.Parameter.KEYWORD_ONLY
    added = [
        inspect.Parameter(
            key, keyword, default=None,
            annotation=Annotated[str | None, typer.Option(f"--{key}", help=_FILTER_HELP[key])],
        )
        for key in FILTER_KEYS
    ] + [
        inspect.Parameter("k", keyword, default=None, annotation=KOpt),
        inspect.Parameter("as_json", keyword, default=False, annotation=JsonOpt),
        inspect.Parameter("retriever", keyword, default=None, annotation=RetrieverOpt),
    ]

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        filters = {key: kwargs.pop(key) for key in FILTER_KEYS}
        options = QueryOptions(filters, kwargs.pop("k"), kwargs.pop("as_json"), kwargs.pop("retriever"))
        check_retriever(options.retriever)
        return command(options=options, **kwargs)

    wrapper.__signature__ = signature.replace(parameters=[*kept, *added])  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in [*kept, *added]}
    return wrapper
