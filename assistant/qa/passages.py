"""A passage in its section context, with quoted sentences marked: what a citation opens.

Owns which sentences a citation's quotes are (their positions in the chunk, the ids the shareable
passage URL carries), the passage URL itself, and the section context: every chunk of the section
in order, the overlap between neighbouring chunks shown once, the passage whole with its quoted
sentences split out as marked segments. Used by the HTML passage view and ``GET /api/passages``;
it returns plain data, never markup.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from assistant.models import Chunk, DocumentMeta, Sentence
from assistant.qa.citations import chunk_location, section_label
from assistant.search.index import LoadedIndex

# Overlaps shorter than this between neighbouring chunks are coincidences, not the chunker's overlap.
_MIN_OVERLAP = 12


class UnknownPassage(LookupError):
    """A chunk id that is not in the loaded index."""


@dataclass(frozen=True)
class Segment:
    text: str
    quoted: bool = False


@dataclass(frozen=True)
class ContextBlock:
    chunk_id: str
    segments: list[Segment]
    is_passage: bool

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)


@dataclass(frozen=True)
class PassageContext:
    chunk: Chunk
    document: DocumentMeta | None
    title: str
    section: str
    location: str
    highlights: list[Sentence]
    blocks: list[ContextBlock]


def quote_positions(index: LoadedIndex, chunk_id: str, quotes: list[str]) -> list[int]:
    """Positions of the chunk's sentences that a citation quotes (quotes are whole sentences)."""
    wanted = set(quotes)
    return [s.position for s in index.sentences_of(chunk_id) if s.text in wanted]


def passage_path(chunk_id: str, positions: list[int] | None = None) -> str:
    """The shareable URL path of a passage with its quoted sentences highlighted."""
    query = urlencode([("hl", p) for p in positions or []])
    return f"/passages/{quote(chunk_id, safe='')}" + (f"?{query}" if query else "")


def _overlap(left: str, right: str) -> int:
    """Length of the longest end of ``left`` that ``right`` starts with (0 below _MIN_OVERLAP)."""
    for size in range(min(len(left), len(right)), _MIN_OVERLAP - 1, -1):
        if left.endswith(right[:size]):
            return size
    return 0


def _marked(chunk: Chunk, highlights: list[Sentence]) -> list[Segment]:
    segments: list[Segment] = []
    cursor = 0
    for sentence in sorted(highlights, key=lambda s: s.start):
        if sentence.start < cursor:
            continue
        if sentence.start > cursor:
            segments.append(Segment(chunk.text[cursor : sentence.start]))
        segments.append(Segment(chunk.text[sentence.start : sentence.end], quoted=True))
        cursor = sentence.end
    if cursor < len(chunk.text):
        segments.append(Segment(chunk.text[cursor:]))
    return segments


def passage_context(index: LoadedIndex, chunk_id: str, highlight: list[int] | None = None) -> PassageContext:
    """The passage, its quoted sentences (by position; unknown positions are ignored) and its section."""
    chunk = index.chunk(chunk_id)
    if chunk is None:
        raise UnknownPassage(f"no passage with id '{chunk_id}' in the index")
    wanted = set(highlight or [])
    highlights = [s for s in index.sentences_of(chunk_id) if s.position in wanted]
    section = index.section_chunks(chunk)
    target = next(i for i, c in enumerate(section) if c.chunk_id == chunk_id)
    blocks: list[ContextBlock] = []
    for i, neighbour in enumerate(section):
        if i == target:
            blocks.append(ContextBlock(chunk_id, _marked(chunk, highlights), is_passage=True))
            continue
        text = neighbour.text
        if i < target:  # show the overlap with the next chunk only once, in the chunk nearer the passage
            cut = _overlap(text, section[i + 1].text)
            text = text[: len(text) - cut]
        else:
            text = text[_overlap(section[i - 1].text, text) :]
        if text.strip():
            blocks.append(ContextBlock(neighbour.chunk_id, [Segment(text.strip())], is_passage=False))
    document = index.documents.get(chunk.doc_id)
    return PassageContext(
        chunk=chunk,
        document=document,
        title=document.title if document else chunk.doc_id,
        section=section_label(chunk.heading_path, keep=len(chunk.heading_path)),
        location=chunk_location(chunk),
        highlights=highlights,
        blocks=blocks,
    )


def passage_context_dict(context: PassageContext) -> dict:
    """The JSON object of ``GET /api/passages/{chunk_id}``."""
    document = context.document
    return {
        "passage": context.chunk.model_dump(),
        "document": {
            "doc_id": context.chunk.doc_id,
            "title": context.title,
            "license": document.license if document else None,
            "attribution": document.attribution if document else None,
            "url": document.url if document else None,
        },
        "section": context.section,
        "location": context.location,
        "highlights": [s.model_dump(exclude={"chunk_id"}) for s in context.highlights],
        "context": [
            {"chunk_id": block.chunk_id, "is_passage": block.is_passage, "text": block.text}
            for block in context.blocks
        ],
    }
