"""Structure-aware chunking: sections split into retrieval-sized chunks that keep their provenance.

Owns: cleaning inline markup out of lines, splitting each section with langchain's recursive
splitter, mapping each chunk back to its line and page span, and the stable ``chunk_id``. Chunks
never cross a section boundary, so every chunk has exactly one heading path and country.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.ingest.sections import split_sections
from assistant.models import Chunk, Document, Line, Section

_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?(?:sup|sub|br|span|b|i|em|strong)\b[^>]*>", re.IGNORECASE)
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
_MIN_LETTERS = 25


def clean_line(text: str) -> str:
    """A line without Markdown links, emphasis and inline HTML; the words stay."""
    text = _LINK.sub(r"\1", text)
    text = _HTML_TAG.sub("", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = text.replace("\\(", "(").replace("\\)", ")")
    return re.sub(r"[ \t]+", " ", text).strip()


def make_chunk_id(doc_id: str, heading_path: list[str], text: str) -> str:
    """Stable id: the same document, place and text always give the same id."""
    key = "\x1f".join([doc_id, " / ".join(heading_path), text])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def section_id(doc_id: str, heading_path: list[str]) -> str:
    return hashlib.sha1("\x1f".join([doc_id, *heading_path]).encode("utf-8")).hexdigest()[:12]


@dataclass(frozen=True)
class _Placed:
    start: int
    line: Line


def _section_text(section: Section) -> tuple[str, list[_Placed]]:
    parts: list[str] = []
    placed: list[_Placed] = []
    offset = 0
    previous_blank = True
    for line in section.lines:
        text = clean_line(line.text)
        if not text:
            if not previous_blank:
                parts.append("\n")
                offset += 1
            previous_blank = True
            continue
        placed.append(_Placed(offset, line))
        parts.append(text + "\n")
        offset += len(text) + 1
        previous_blank = False
    return "".join(parts), placed


def _span(placed: list[_Placed], starts: list[int], start: int, end: int) -> list[Line]:
    """The lines that begin inside [start, end), else the line the span starts in (``starts`` sorted, as placed)."""
    # Bisection, not a scan: a long section has thousands of lines and as many chunks.
    first, last = bisect.bisect_left(starts, start), bisect.bisect_left(starts, end)
    if first < last:
        return [p.line for p in placed[first:last]]
    return [placed[bisect.bisect_right(starts, start) - 1].line]


def chunk_document(document: Document, chunk_size: int, chunk_overlap: int) -> list[Chunk]:
    """Split a document into chunks, each inside one section, with line/page spans and ids."""
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=chunk_size,
        chunk_overlap=min(chunk_overlap, chunk_size // 2),
        separators=["\n\n", "\n", ". ", "; ", ", ", " ", ""],
        keep_separator="end",
        add_start_index=True,
    )
    doc_id = document.meta.doc_id
    chunks: list[Chunk] = []
    seen: set[str] = set()
    for section in split_sections(document):
        text, placed = _section_text(section)
        if not placed:
            continue
        starts = [p.start for p in placed]
        for piece in splitter.create_documents([text]):
            body = piece.page_content.strip()
            if sum(c.isalpha() for c in body) < _MIN_LETTERS:
                continue
            start = piece.metadata["start_index"]
            lines = _span(placed, starts, start, start + len(piece.page_content))
            chunk_id = make_chunk_id(doc_id, section.heading_path, body)
            if chunk_id in seen:
                continue
            seen.add(chunk_id)
            pages = [line.page for line in lines if line.page is not None]
            chunks.append(
                Chunk(
                    chunk_id=chunk_id,
                    doc_id=doc_id,
                    ordinal=len(chunks),
                    section_id=section_id(doc_id, section.heading_path),
                    text=body,
                    heading_path=section.heading_path,
                    country=section.country,
                    region=section.region,
                    page_start=min(pages) if pages else None,
                    page_end=max(pages) if pages else None,
                    line_start=lines[0].line_no,
                    line_end=lines[-1].line_no,
                )
            )
    return chunks
