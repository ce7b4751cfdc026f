"""Quote grounding: every quote of a curated answer is verbatim in the passage it names.

A quote names a ``chunk_id`` of the live index and gives text; the text must appear in that chunk's
text (compared with every run of whitespace as one space, nothing else forgiven). A grounded quote
keeps its citation fields from the chunk and the SHA-256 of the chunk's text when quoted, so a later
build that changes the passage is noticed (``staleness``). Refusals name the quote.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from pydantic import BaseModel

from assistant.db.curation_records import CurationError, GroundedQuote
from assistant.models import Chunk
from assistant.search.index import LoadedIndex

MAX_QUOTE_CHARS = 2000
SHOWN_CHARS = 80


class QuoteInput(BaseModel):
    """A quote as a moderator picks it: the passage and the exact text."""

    chunk_id: str
    text: str


class QuoteNotVerbatim(CurationError):
    """A quote whose text is not in the passage it names."""


class UnknownChunk(CurationError):
    """A quote naming a passage the live index does not have."""


def passage_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _spaced(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _shown(text: str) -> str:
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "…"


def verbatim_in(quote: str, chunk: Chunk) -> bool:
    return _spaced(quote) in _spaced(chunk.text)


def ground_quote(index: LoadedIndex, n: int, quote: QuoteInput) -> GroundedQuote:
    """Quote ``n`` (1-based) checked against the index; UnknownChunk or QuoteNotVerbatim otherwise."""
    text = _spaced(quote.text)
    if not text:
        raise CurationError(f"quote {n} is empty")
    if len(text) > MAX_QUOTE_CHARS:
        raise CurationError(f"quote {n} is over {MAX_QUOTE_CHARS} characters")
    chunk = index.chunk(quote.chunk_id)
    if chunk is None:
        raise UnknownChunk(f"quote {n} names passage {quote.chunk_id!r}, which is not in the index")
    if not verbatim_in(text, chunk):
        raise QuoteNotVerbatim(f"quote {n} is not verbatim in passage {quote.chunk_id}: “{_shown(text)}”")
    return GroundedQuote(
        chunk_id=chunk.chunk_id, doc_id=chunk.doc_id, heading_path=chunk.heading_path, page_start=chunk.page_start,
        page_end=chunk.page_end, line_start=chunk.line_start, line_end=chunk.line_end, text=text,
        passage_sha256=passage_sha256(chunk.text), section_id=chunk.section_id, passage_text=chunk.text,
    )


def ground_quotes(index: LoadedIndex, quotes: Sequence[QuoteInput]) -> list[GroundedQuote]:
    """Every quote grounded, in order; the first that is not refuses the lot."""
    if not quotes:
        raise CurationError("a curated answer needs at least one quote from the documents")
    return [ground_quote(index, n, quote) for n, quote in enumerate(quotes, start=1)]


def is_current(index: LoadedIndex, chunk_id: str, sha256: str) -> bool:
    """The passage is in the index with the text it had when quoted."""
    chunk = index.chunk(chunk_id)
    return chunk is not None and passage_sha256(chunk.text) == sha256
