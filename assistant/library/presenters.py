"""How a story is shown: its JSON shapes (API and ``score-assistant stories --json``), its credit line
and its full text with the figures marked (the story page).

The full text is each section of the story in its context as ``qa.passages`` gives it (the overlap
between neighbouring chunks shown once), with every figure sentence split out as a marked segment.
Plain data, never markup: the templates escape it and wrap marked segments in ``<mark>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from assistant.library.browse import StoryPage
from assistant.models import DocumentMeta, Story
from assistant.qa.citations import chunk_location
from assistant.qa.passages import Segment, passage_context, passage_path, quote_positions
from assistant.search.index import LoadedIndex


def story_path(story_id: str) -> str:
    """The stable URL path of a story's page."""
    return f"/library/{quote(story_id, safe='')}"


def story_export_path(story_id: str, fmt: str) -> str:
    """Where a story is exported as a handout in one format (``docx``, ``pptx``, ``md``)."""
    return f"/api/stories/{quote(story_id, safe='')}/export?format={quote(fmt, safe='')}"


def story_item(story: Story) -> dict[str, Any]:
    """A story as the list of ``GET /api/stories`` shows it."""
    return {
        "id": story.story_id,
        "country": story.country,
        "region": story.region,
        "headline": story.headline,
        "modules": story.modules,
        "topics": story.topics,
        "figures": story.figures,
        "doc_id": story.doc_id,
        "year": story.year,
        "period": story.period,
        "url": story_path(story.story_id),
    }


def story_page_dict(page: StoryPage) -> dict[str, Any]:
    return {
        "total": page.total,
        "filters": page.filters,
        "items": [story_item(s) for s in page.items],
        "facets": page.facets,
    }


def document_credit(meta: DocumentMeta | None, doc_id: str) -> dict[str, Any]:
    """Who to credit for a document, from its catalog entry: title, attribution, licence, link."""
    return {
        "doc_id": doc_id,
        "title": meta.title if meta else doc_id,
        "publisher": meta.publisher if meta else None,
        "attribution": meta.attribution if meta else None,
        "license": meta.license if meta else None,
        "url": meta.url if meta else None,
    }


def story_dict(story: Story, index: LoadedIndex) -> dict[str, Any]:
    """The whole story of ``GET /api/stories/{id}``: its fields, its document's credit and its passages."""
    passages = []
    for chunk_id in story.chunk_ids:
        chunk = index.chunk(chunk_id)
        assert chunk is not None  # a story is built from the chunks of the same index
        passages.append(
            {
                **chunk.model_dump(include={"chunk_id", "heading_path", "page_start", "page_end", "line_start",
                                            "line_end", "text"}),
                "location": chunk_location(chunk),
                "url": passage_path(chunk_id),
            }
        )
    return {
        **story_item(story),
        "heading_path": story.heading_path,
        "document": document_credit(index.documents.get(story.doc_id), story.doc_id),
        "passages": passages,
    }


@dataclass(frozen=True)
class StoryBlock:
    """A piece of the story's full text: one chunk's new text, figures marked, and where it opens in context."""

    chunk_id: str
    heading: str
    segments: list[Segment]
    location: str
    href: str


def _marked(text: str, figures: list[str]) -> list[Segment]:
    """The text split into segments, the figure sentences it holds marked."""
    spans = []
    for figure in figures:
        start = text.find(figure)
        while start >= 0:
            spans.append((start, start + len(figure)))
            start = text.find(figure, start + len(figure))
    segments, cursor = [], 0
    for start, end in sorted(spans):
        if start < cursor:
            continue
        if start > cursor:
            segments.append(Segment(text[cursor:start]))
        segments.append(Segment(text[start:end], quoted=True))
        cursor = end
    if cursor < len(text):
        segments.append(Segment(text[cursor:]))
    return segments


def story_blocks(story: Story, index: LoadedIndex) -> list[StoryBlock]:
    """The story's full text in order, section by section, without the chunks' overlaps, figures marked."""
    blocks: list[StoryBlock] = []
    done: set[str] = set()
    wanted = set(story.chunk_ids)
    shown = story.headline  # a sub-heading is shown once, above its section's first block
    for chunk_id in story.chunk_ids:
        if chunk_id in done:
            continue
        context = passage_context(index, chunk_id)
        below = context.chunk.heading_path[len(story.heading_path) :]
        heading = " › ".join(below[1:] if below[:1] == [story.headline] else below)
        for block in context.blocks:
            if block.chunk_id not in wanted or block.chunk_id in done:
                continue
            done.add(block.chunk_id)
            chunk = index.chunk(block.chunk_id)
            assert chunk is not None
            positions = quote_positions(index, block.chunk_id, story.figures)
            new_heading, shown = ("" if heading in ("", shown) else heading), heading or shown
            blocks.append(
                StoryBlock(
                    chunk_id=block.chunk_id,
                    heading=new_heading,
                    segments=_marked(block.text.strip(), story.figures),
                    location=chunk_location(chunk),
                    href=passage_path(block.chunk_id, positions),
                )
            )
    return blocks
