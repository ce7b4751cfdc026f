"""``score-assistant stories``: the story library in the terminal, filtered and searched like ``/library``.

Thin: loads the index and the model, asks ``assistant.library.browse.StoryLibrary`` and prints one
line per story, or the JSON of ``GET /api/stories`` with ``--json``. An unknown filter value ends
with the library's one-line message and exit status 2.
"""

from __future__ import annotations

import json
from typing import Annotated

import typer

from assistant.cli.common import JsonOpt, fail
from assistant.config import Settings
from assistant.library.browse import MAX_LIMIT
from assistant.search.filters import QuestionError

Filter = Annotated[str | None, typer.Option(help="Only stories with this value")]


def stories(
    country: Filter = None,
    region: Filter = None,
    module: Filter = None,
    topic: Filter = None,
    document: Annotated[str | None, typer.Option(help="Only stories of this document (id or title)")] = None,
    year: Annotated[str | None, typer.Option(help="Only stories of documents of this year")] = None,
    q: Annotated[str | None, typer.Option("--q", help="Search by meaning and by words")] = None,
    sort: Annotated[str | None, typer.Option(help="relevance | country")] = None,
    offset: Annotated[int, typer.Option(min=0, help="Skip this many stories")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="Stories to show")] = MAX_LIMIT,
    as_json: JsonOpt = False,
) -> None:
    """Success stories of the indexed documents: country, headline, modules and key figures."""
    from assistant.library.browse import StoryLibrary
    from assistant.library.presenters import story_page_dict
    from assistant.search.embedding import Embedder, ModelLoadError
    from assistant.search.index import IndexProblem, load_index

    settings = Settings()
    try:
        embedder = Embedder(settings)
        library = StoryLibrary(load_index(settings, embedder.dimension), embedder, settings)
    except (IndexProblem, ModelLoadError) as exc:
        fail(str(exc), 1)
    try:
        page = library.browse(
            country=country, region=region, module=module, topic=topic, document=document, year=year, q=q,
            sort=sort, offset=offset, limit=limit,  # type: ignore[arg-type]
        )
    except QuestionError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(story_page_dict(page), ensure_ascii=False, indent=2))
        return
    for story in page.items:
        place = story.country or story.region
        modules = f" [{', '.join(story.modules)}]" if story.modules else ""
        figures = f"{len(story.figures)} figure" + ("" if len(story.figures) == 1 else "s")
        typer.echo(f"{story.story_id}  {place}: {story.headline}{modules} ({figures})")
    shown = f"{offset + 1}–{offset + len(page.items)} of " if page.items else ""
    typer.echo(f"{shown}{page.total} stories", err=True)
