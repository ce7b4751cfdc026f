"""Citations: how one is made from a quoted passage, and how it is written for people.

One place used by the answer sources, the CLI, the API, HTML, reports and exports: a ``Citation``
carries the document, section path, page or lines, the quoted sentences and the credit line.
"""

from __future__ import annotations

from collections.abc import Mapping

from assistant.models import Chunk, Citation, DocumentMeta, Passage

_CHUNK_FIELDS = {
    "chunk_id", "doc_id", "heading_path", "country", "region", "page_end", "line_start", "line_end", "text",
}


def make_citation(n: int, passage: Passage, quotes: list[str], documents: Mapping[str, DocumentMeta]) -> Citation:
    """Citation number ``n`` of the passage, quoting ``quotes`` (whole sentences of its chunk)."""
    chunk = passage.chunk
    meta = documents.get(chunk.doc_id)
    # The chunk's own fields pass through under their names; only page (its first page) is renamed.
    located = chunk.model_dump(include=_CHUNK_FIELDS)
    title = meta.title if meta else chunk.doc_id
    attribution = meta.attribution if meta else None
    quote = " … ".join(quotes)
    page = chunk.page_start
    return Citation(n=n, title=title, page=page, quote=quote, quotes=quotes, attribution=attribution, **located)


def location(page: int | None, page_end: int | None, line_start: int | None, line_end: int | None) -> str:
    """'p. 4', 'pp. 4–5' or 'lines 120–131'."""
    if page is not None:
        if page_end is not None and page_end != page:
            return f"pp. {page}–{page_end}"
        return f"p. {page}"
    if line_start is not None:
        if line_end is not None and line_end != line_start:
            return f"lines {line_start}–{line_end}"
        return f"line {line_start}"
    return ""


def chunk_location(chunk: Chunk) -> str:
    return location(chunk.page_start, chunk.page_end, chunk.line_start, chunk.line_end)


def citation_location(citation: Citation) -> str:
    return location(citation.page, citation.page_end, citation.line_start, citation.line_end)


def section_label(heading_path: list[str], keep: int = 3) -> str:
    """The last few headings of a path, joined: enough to find the place, short enough to read."""
    return " › ".join(heading_path[-keep:])


def format_citation(citation: Citation) -> str:
    """'[1] Title — Asia › Myanmar › … (Myanmar), lines 519–524'."""
    where = citation_location(citation)
    country = f" ({citation.country})" if citation.country else ""
    return f"[{citation.n}] {citation.title} — {section_label(citation.heading_path)}{country}" + (
        f", {where}" if where else ""
    )
