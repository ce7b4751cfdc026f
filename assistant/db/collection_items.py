"""What a collection item quotes, whether its source changed since, and the handout a collection makes.

Owns turning what a facilitator picked into a ``NewItem`` for ``collections_store``: a whole story
(its opening passage), a passage or a verbatim quote of it (a chat citation, an API call), or
sentences chosen on the passage page (kept as one excerpt; sentences that do not follow each other
are joined with "…" and marked shortened). A quote that is not in the passage word for word is
refused (``QuoteNotVerbatim``). ``item_status`` tells, against the loaded index, whether the passage
an item quotes is gone or its text changed (its hash differs), and shows the difference against the
passage that now stands in the same section (same document and heading path, as ``Chunk.section_id``
is derived from them). ``handout_of`` is what the exports render. Reads the index; writes nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Protocol

from assistant.db.collections_store import CollectionError, NewItem
from assistant.db.engine import UnknownRecord
from assistant.export.handouts import (
    ELLIPSIS,
    NothingToExport,
    excerpt_from_chunk,
    handout_from_story,
    item_heading,
    passage_sha256,
)
from assistant.models import (
    Chunk,
    Collection,
    CollectionItem,
    CollectionItemKind,
    Excerpt,
    Handout,
    HandoutItem,
    Sentence,
    Story,
)
from assistant.qa.passages import UnknownPassage
from assistant.search.index import LoadedIndex
from assistant.text.sentences import split_sentences

SOURCE_CHANGED = "source changed since you added it"


class QuoteNotVerbatim(CollectionError):
    """A quote that is not word for word in its passage, or sentence positions the passage lacks."""


class UnknownStory(UnknownRecord):
    """A story id that is not in the library."""


class Stories(Protocol):
    """The story library, or any mapping of story ids (``get`` may answer None or raise LookupError)."""

    def get(self, story_id: str) -> Story | None: ...


def find_story(stories: Stories | None, story_id: str) -> Story | None:
    try:
        return None if stories is None else stories.get(story_id)
    except LookupError:
        return None


def story_item(story: Story, index: LoadedIndex) -> NewItem:
    """A whole story, kept by its opening passage (exported whole while the library holds it)."""
    chunk = next((c for c in (index.chunk(i) for i in story.chunk_ids) if c is not None), None)
    if chunk is None:
        raise UnknownStory(f"the story {story.story_id!r} has no passage in the index")
    heading = item_heading(story.country, story.headline)
    return NewItem("story", heading, excerpt_from_chunk(chunk), story.country, story.story_id)


def _quoted(kind: CollectionItemKind, chunk: Chunk, quote: str | None) -> NewItem:
    try:
        excerpt = excerpt_from_chunk(chunk, quote)
    except ValueError as exc:
        raise QuoteNotVerbatim(str(exc)) from exc
    headline = chunk.heading_path[-1] if chunk.heading_path else chunk.doc_id
    return NewItem(kind, item_heading(chunk.country, headline), excerpt, chunk.country)


def passage_item(chunk: Chunk, quote: str | None = None) -> NewItem:
    """A passage, whole or by a verbatim quote of it (a citation's quotes joined with "…" too)."""
    return _quoted("passage", chunk, quote if quote and quote.strip() else None)


def selection_item(index: LoadedIndex, chunk: Chunk, positions: list[int]) -> NewItem:
    """Chosen sentences of a passage (by position), in passage order, as one excerpt ("…" between
    sentences that do not follow each other)."""
    wanted = set(positions)
    chosen = [s for s in index.sentences_of(chunk.chunk_id) if s.position in wanted]
    if not wanted or len(chosen) != len(wanted):
        raise QuoteNotVerbatim(f"choose one or more sentences of passage {chunk.chunk_id!r}")
    runs: list[list[Sentence]] = []
    for sentence in chosen:
        if runs and runs[-1][-1].position + 1 == sentence.position:
            runs[-1].append(sentence)
        else:
            runs.append([sentence])
    return _quoted("selection", chunk, f" {ELLIPSIS} ".join(chunk.text[r[0].start : r[-1].end] for r in runs))


def new_item(
    index: LoadedIndex, stories: Stories, story_id: str | None = None, chunk_id: str | None = None,
    quote: str | None = None, positions: list[int] | None = None,
) -> NewItem:
    """The item a facilitator asks for: a story; or a passage, a quote of it or some of its sentences.
    UnknownStory or UnknownPassage for an id not in the library or the index."""
    if story_id:
        story = find_story(stories, story_id)
        if story is None:
            raise UnknownStory(f"no story with id {story_id!r}")
        return story_item(story, index)
    chunk = index.chunk(chunk_id or "")
    if chunk is None:
        raise UnknownPassage(f"no passage with id {chunk_id!r} in the index")
    if positions:
        return selection_item(index, chunk, positions)
    return passage_item(chunk, quote)


@dataclass(frozen=True)
class ItemStatus:
    """Whether an item's source still reads as it did, and if not, how it reads now."""

    changed: bool
    message: str | None = None
    current_chunk_id: str | None = None  # the passage that now stands in its place, if any
    diff: list[str] = field(default_factory=list)  # "- was", "+ now", "  same" lines (sentences)


def _sentences(text: str) -> list[str]:
    return [" ".join(text[a:b].split()) for a, b in split_sentences(text)]


def _closest_window(quoted: list[str], sentences: list[str]) -> list[str]:
    """The run of the passage's sentences, as long as the quote, that reads most like it."""
    size = max(1, min(len(quoted), len(sentences)))
    windows = [sentences[i : i + size] for i in range(max(1, len(sentences) - size + 1))]
    joined = " ".join(quoted)
    return max(windows, key=lambda w: difflib.SequenceMatcher(None, joined, " ".join(w)).ratio())


def _replacement(item: CollectionItem, index: LoadedIndex) -> Chunk | None:
    """The passage now standing where the item's was: the same id, or the most alike of its section."""
    same = index.chunk(item.excerpt.chunk_id)
    if same is not None:
        return same
    where = (item.excerpt.doc_id, item.excerpt.heading_path)
    section = [c for c in index.chunks if (c.doc_id, c.heading_path) == where]
    quoted = item.excerpt.text.replace(ELLIPSIS, " ")
    return max(section, key=lambda c: difflib.SequenceMatcher(None, quoted, c.text).ratio(), default=None)


def item_status(item: CollectionItem, index: LoadedIndex) -> ItemStatus:
    """Unchanged when the passage is in the index with the same text hash; otherwise SOURCE_CHANGED,
    with the quoted sentences against the closest ones of the passage now in the same section."""
    chunk = index.chunk(item.excerpt.chunk_id)
    if chunk is not None and passage_sha256(chunk.text) == item.excerpt.passage_sha256:
        return ItemStatus(False)
    now = _replacement(item, index)
    if now is None:
        return ItemStatus(True, f"{SOURCE_CHANGED}: its section is no longer in the documents")
    quoted = [s for piece in item.excerpt.text.split(ELLIPSIS) for s in _sentences(piece) if s]
    current = _closest_window(quoted, _sentences(now.text))
    diff = [line for line in difflib.ndiff(quoted, current) if not line.startswith("?")]
    return ItemStatus(True, SOURCE_CHANGED, now.chunk_id, diff)


def _excerpts(item: CollectionItem, index: LoadedIndex | None, stories: Stories | None) -> list[Excerpt]:
    """A story still in the library and unchanged is exported whole; anything else as it was kept."""
    story = find_story(stories, item.story_id) if item.story_id and index is not None else None
    if story is None or index is None or item_status(item, index).changed:
        return [item.excerpt]
    try:
        return handout_from_story(story, index).items[0].excerpts
    except NothingToExport:
        return [item.excerpt]


def handout_of(collection: Collection, index: LoadedIndex | None = None, stories: Stories | None = None) -> Handout:
    """The collection as a handout: its title, then each item with its quotes and note, in order."""
    items = [HandoutItem(heading=i.heading, country=i.country, excerpts=_excerpts(i, index, stories), note=i.note)
             for i in collection.items]
    return Handout(title=collection.title, items=items)
