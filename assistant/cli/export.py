"""``score-assistant export``: handouts (DOCX, PPTX, Markdown) with their credit lines, as files.

Thin: ``export story ID`` finds the story in the library of the current index, makes its handout
(``assistant.export.handouts``) and writes it with ``write_handout``, which other ``export``
commands (a collection) call too. Exit status: 0 written; 2 bad input (an unknown format — the
message lists the valid ones —, an unknown story); 1 a document whose licence does not allow the
export (the message names it), an index or model that cannot be loaded, a file that cannot be written.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import fail, load_assistant
from assistant.config import Settings
from assistant.export.attribution import ExportRefused
from assistant.export.render import FORMATS, UnknownFormat, check_format, render, safe_filename
from assistant.models import DocumentMeta, Handout

export_app = typer.Typer(
    help="Handouts with their credit lines: DOCX (Word), PPTX (PowerPoint) or Markdown.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
FormatOpt = Annotated[str, typer.Option("--format", "-f", help=" | ".join(FORMATS))]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="The file to write (default: named from the title, here)")
]


def checked_format(fmt: str) -> str:
    """The format name, or exit 2 listing the valid ones."""
    try:
        return check_format(fmt)
    except UnknownFormat as exc:
        fail(str(exc))


def write_handout(handout: Handout, documents: Mapping[str, DocumentMeta], fmt: str, output: Path | None) -> Path:
    """Render the handout and write it to ``output`` (or a safe name from its title in the current
    folder); exit 1 naming the documents whose licence does not allow it, or when it cannot be written."""
    try:
        body = render(handout, documents, fmt)
    except ExportRefused as exc:
        fail(str(exc), 1)
    path = output or Path(safe_filename(handout.title, fmt))
    try:
        path.write_bytes(body)
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror or exc}", 1)
    typer.echo(f"Wrote {path} ({len(body):,} bytes).", err=True)
    return path


@export_app.command("story")
def export_story(
    story_id: Annotated[str, typer.Argument(help="The story's id (score-assistant stories --json)")],
    fmt: FormatOpt = "docx",
    output: OutputOpt = None,
) -> None:
    """A success story as a handout: its heading, its passages quoted, the sources and the credit line."""
    from assistant.export.handouts import handout_from_story
    from assistant.library.browse import StoryLibrary, UnknownStory

    fmt = checked_format(fmt)
    settings = Settings()
    assistant = load_assistant(settings)
    library = StoryLibrary(assistant.index, assistant.embedder, settings)
    try:
        story = library.get(story_id)
    except UnknownStory as exc:
        fail(str(exc))
    write_handout(handout_from_story(story, assistant.index), assistant.index.documents, fmt, output)


@export_app.command("collection")
def export_collection(
    collection_id: Annotated[int, typer.Argument(help="The collection's id (its page is /collections/ID)")],
    fmt: FormatOpt = "docx",
    output: OutputOpt = None,
) -> None:
    """A facilitator’s collection as a handout: each example’s heading, quotes and note, sources, credit lines."""
    from sqlalchemy.exc import SQLAlchemyError

    from assistant.db.collection_items import handout_of
    from assistant.db.collections_store import CollectionsStore, UnknownCollection
    from assistant.db.engine import Database
    from assistant.library.browse import StoryLibrary

    fmt = checked_format(fmt)
    settings = Settings()
    database = Database.from_settings(settings)
    try:
        collection = CollectionsStore(database).any_collection(collection_id)
    except UnknownCollection as exc:
        fail(str(exc))
    except SQLAlchemyError as exc:
        fail(f"cannot read the collections in the database ({type(exc).__name__}); run score-assistant db upgrade", 1)
    finally:
        database.dispose()
    assistant = load_assistant(settings)
    library = StoryLibrary(assistant.index, assistant.embedder, settings)
    write_handout(handout_of(collection, assistant.index, library), assistant.index.documents, fmt, output)
