"""What a handout holds: excerpts quoted verbatim from passages, grouped into examples.

Owns: making an ``Excerpt`` from a passage and a quote (the quote must be in the passage, word for
word; where it leaves text out it is marked "…" and ``shortened``), and making a ``Handout`` from a
story (its passages, paragraph by paragraph, without the text chunks repeat from each other) or from
a chat answer (one example per section it cites, its quoted sentences as excerpts). Rendering and
attribution are not done here.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from assistant.models import Answer, Chunk, Citation, Excerpt, Handout, HandoutItem, Story
from assistant.search.index import LoadedIndex
from assistant.text.sentences import split_sentences

ELLIPSIS = "…"
# Where a quote says it leaves text out: "…" or "..." between words.
_GAP = re.compile(r"\s*(?:…|\.\.\.)\s*")
_WORDS = re.compile(r"[^\W_]")
_LOCATION_FIELDS = ("chunk_id", "doc_id", "heading_path", "page_start", "page_end", "line_start", "line_end")


class NothingToExport(ValueError):
    """A story or an answer that quotes no passage (an abstention, a story whose passages are gone)."""


def passage_sha256(text: str) -> str:
    """The hash of a passage text an excerpt keeps, to notice a later build that changes it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def item_heading(country: str | None, headline: str) -> str:
    """'Country: headline', or the headline alone when it has no country or already starts with it."""
    if not country or headline.casefold().startswith(country.casefold()):
        return headline
    return f"{country}: {headline}"


def _pattern(words: str) -> re.Pattern[str]:
    """Matches ``words`` in a text whatever whitespace separates them (a selection loses line breaks)."""
    return re.compile(r"\s+".join(re.escape(word) for word in words.split()))


def _locate(text: str, parts: list[str]) -> list[tuple[int, int]] | None:
    """The spans of ``parts`` found in order in ``text``, or None when one is not there."""
    spans, position = [], 0
    for part in parts:
        found = _pattern(part).search(text, position)
        if found is None:
            return None
        spans.append(found.span())
        position = found.end()
    return spans


def _cut(text: str, start: int, end: int, sentences: list[tuple[int, int]]) -> tuple[bool, bool]:
    """Whether the span [start, end) begins or ends inside a sentence (words of it left out)."""
    cut_start = any(a < start < b and _WORDS.search(text[a:start]) for a, b in sentences)
    cut_end = any(a < end < b and _WORDS.search(text[end:b]) for a, b in sentences)
    return cut_start, cut_end


def _shown(quote: str, limit: int = 80) -> str:
    return quote if len(quote) <= limit else quote[: limit - 1] + ELLIPSIS


def _excerpt(source: Chunk | Citation, text: str, quote: str | None) -> Excerpt:
    located = {name: getattr(source, name, None) for name in _LOCATION_FIELDS}
    if isinstance(source, Citation):
        located.update(page_start=source.page)
    digest = passage_sha256(text)
    if quote is None:
        return Excerpt(**located, text=text.strip(), passage_sha256=digest)
    whole = _locate(text, [quote]) if quote.strip() else None
    parts = [quote] if whole else [part for part in _GAP.split(quote) if part.strip()]
    spans = whole or (_locate(text, parts) if parts else None)
    if not spans:
        raise ValueError(f"the quote {_shown(quote.strip())!r} is not in passage {source.chunk_id} word for word")
    sentences = split_sentences(text)
    cut_start, _ = _cut(text, *spans[0], sentences)
    _, cut_end = _cut(text, *spans[-1], sentences)
    body = f" {ELLIPSIS} ".join(text[a:b] for a, b in spans)
    marked = (f"{ELLIPSIS} " if cut_start else "") + body + (f" {ELLIPSIS}" if cut_end else "")
    shortened = cut_start or cut_end or len(spans) > 1
    return Excerpt(**located, text=marked, shortened=shortened, passage_sha256=digest)


def excerpt_from_chunk(chunk: Chunk, quote: str | None = None) -> Excerpt:
    """An excerpt of a passage: the whole text, or ``quote``, which must be in it word for word
    (whitespace aside; "…" or "..." may leave text out between verbatim parts). A quote that starts
    or ends inside a sentence, or leaves text out, is marked "…" and ``shortened``. ValueError, naming
    the quote and the passage, when it is not in the passage."""
    return _excerpt(chunk, chunk.text, quote)


def _paragraphs(text: str) -> Iterable[str]:
    return (paragraph.strip() for paragraph in re.split(r"\n\s*\n", text) if paragraph.strip())


def handout_from_story(story: Story, index: LoadedIndex) -> Handout:
    """One example: the story's heading and its passages, paragraph by paragraph, each paragraph once
    (neighbouring chunks repeat a little text). NothingToExport when none of its passages is indexed."""
    seen: set[str] = set()
    excerpts = []
    for chunk_id in story.chunk_ids:
        chunk = index.chunk(chunk_id)
        for paragraph in _paragraphs(chunk.text) if chunk else ():
            if paragraph not in seen:
                seen.add(paragraph)
                excerpts.append(excerpt_from_chunk(chunk, paragraph))
    if not excerpts:
        raise NothingToExport(f"story {story.story_id} has no passage in the index to export")
    heading = item_heading(story.country, story.headline)
    return Handout(title=heading, items=[HandoutItem(heading=heading, country=story.country, excerpts=excerpts)])


def _citation_excerpts(citation: Citation, index: LoadedIndex) -> list[Excerpt]:
    """The quoted sentences of a citation, taken from the passage in the index, or from the text the
    citation kept when a later build no longer holds that passage."""
    chunk = index.chunk(citation.chunk_id)
    quotes = citation.quotes or [citation.quote]
    if chunk is not None:
        return [excerpt_from_chunk(chunk, quote) for quote in quotes]
    return [_excerpt(citation, citation.text, quote) for quote in quotes]


def handout_from_answer(answer: Answer, index: LoadedIndex) -> Handout:
    """The quotes of a chat answer: one example per section (country and headline) it cites, in the
    order of its citations. NothingToExport for an answer that quotes nothing (an abstention)."""
    items: dict[tuple[str | None, tuple[str, ...]], HandoutItem] = {}
    for citation in answer.citations:
        key = (citation.country, tuple(citation.heading_path))
        headline = citation.heading_path[-1] if citation.heading_path else citation.title
        item = items.setdefault(
            key, HandoutItem(heading=item_heading(citation.country, headline), country=citation.country, excerpts=[])
        )
        item.excerpts.extend(_citation_excerpts(citation, index))
    if not items:
        raise NothingToExport("this answer quotes no passage, so there is nothing to export")
    return Handout(title=answer.question.strip() or "Answer", items=list(items.values()))
