"""What a story is: the success-story sections of the corpus, derived from a loaded index.

Nothing is typed by hand; the rule reads the places ingest gave each section (``Chunk.country``,
``Chunk.region``) and the heading paths, never one document's layout or particular headings:

* **Place.** A section about a country belongs to a country story. A section about a region but no
  country (a numbered story beside the country stories of a region, a regional event) belongs to a
  region story; documents without such sections simply have none. Sections about no place (the
  global part, a manual's chapters) are never stories.
* **Where a story opens.** A story is every section of one document under one *anchor*: the heading
  path down to the heading where the story opens. That heading is the deeper of two: the first
  heading of the path that names the place (the heading right below the region heading, for a
  region story), and the shortest path prefix under which every section of the document is about
  this same place. So a country's sub-headings ("Tunisia › … › 1. Ship maintenance sector", a case
  study's "Challenge" and "Results", a converted heading pushed out of line like "Peru › 2. The
  Ministry of Labor") stay in its story, a story whose heading does not name its country ("8.
  Knitting for export", placed by a "Location:" line) still has one, and two stories of one country
  that each have their own heading stay apart.
* **Identity.** ``story_id`` is the ``section_id`` of the story's first section, so it stays while
  that section keeps its heading path. The headline is the anchor heading as written, or the first
  heading below it when the anchor heading only names the place ("Egypt" → "Working conditions…").
* **Content.** Modules and topics are the union over the story's chunks; figures are its sentences
  that state a quantity (``text.answer_types.states_a_quantity``), each once, in order; its chunks
  are its passages, in document order.
"""

from __future__ import annotations

from collections import defaultdict

from assistant.models import GLOBAL_REGION, Chunk, Story
from assistant.search.index import LoadedIndex
from assistant.text.answer_types import states_a_quantity
from assistant.text.geography import country_of_heading, country_of_name, region_of_heading
from assistant.text.headings import heading_name

Place = tuple[str | None, str]  # (country, region)


def place_of(chunk: Chunk) -> Place | None:
    """The place a chunk's story is about, or None when the chunk is about no place."""
    if chunk.country:
        return chunk.country, chunk.region
    if chunk.region and chunk.region != GLOBAL_REGION:
        return None, chunk.region
    return None


def _names_place(heading: str, place: Place) -> bool:
    """Whether a heading names the place, alone or leading it ('Peru', '2. Viet Nam - Hoa Son')."""
    country, region = place
    if country:
        return country_of_heading(heading) == country or country_of_name(heading_name(heading)) == country
    return region_of_heading(heading) == region or heading == region


def _only_names_place(heading: str, place: Place) -> bool:
    country, region = place
    name = heading_name(heading)
    return (country_of_name(name) == country) if country else name.lower() == region.lower()


def _opening(path: list[str], place: Place) -> int:
    """Position of the first heading naming the place (for a region story, the heading below it); -1: none."""
    for position, heading in enumerate(path):
        if _names_place(heading, place):
            return position if place[0] else min(position + 1, len(path) - 1)
    return -1


def _exclusive_depths(paths: list[tuple[list[str], Place | None]]) -> list[int]:
    """For each section path of one document, the length of its shortest prefix under which every
    section of the document is about the same place (the whole path when there is none)."""
    places: dict[tuple[str, ...], set[Place | None]] = defaultdict(set)
    for path, place in paths:
        for length in range(1, len(path) + 1):
            places[tuple(path[:length])].add(place)
    return [
        next((n for n in range(1, len(path) + 1) if len(places[tuple(path[:n])]) == 1), len(path))
        for path, _ in paths
    ]


def _headline(anchor: tuple[str, ...], first: Chunk, place: Place) -> str:
    heading = anchor[-1]
    if _only_names_place(heading, place) and len(first.heading_path) > len(anchor):
        return first.heading_path[len(anchor)]
    return heading


def _sections(chunks: list[Chunk]) -> dict[tuple[str, str], list[Chunk]]:
    """Chunks grouped by (document, section), sections and chunks in index order."""
    sections: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in chunks:
        sections.setdefault((chunk.doc_id, chunk.section_id), []).append(chunk)
    return sections


def _story_sections(index: LoadedIndex) -> dict[tuple[str, tuple[str, ...]], list[list[Chunk]]]:
    """The sections of each story, keyed by (document, anchor), in index order."""
    by_document: dict[str, list[list[Chunk]]] = defaultdict(list)
    for section in _sections(index.chunks).values():
        by_document[section[0].doc_id].append(section)
    stories: dict[tuple[str, tuple[str, ...]], list[list[Chunk]]] = {}
    for doc_id, sections in by_document.items():
        paths = [(s[0].heading_path, place_of(s[0])) for s in sections]
        for section, (path, place), depth in zip(sections, paths, _exclusive_depths(paths), strict=True):
            if place is None or not path:
                continue
            anchor = tuple(path[: max(_opening(path, place) + 1, depth)])
            stories.setdefault((doc_id, anchor), []).append(section)
    return stories


def figures_of(index: LoadedIndex, chunk_ids: list[str]) -> list[str]:
    """The sentences of the chunks that state a quantity, each once (neighbouring chunks overlap), in order."""
    seen: dict[str, None] = {}
    for chunk_id in chunk_ids:
        for sentence in index.sentences_of(chunk_id):
            if sentence.text not in seen and states_a_quantity(sentence.text):
                seen[sentence.text] = None
    return list(seen)


def _union(values: list[list[str]]) -> list[str]:
    return sorted({value for group in values for value in group})


def build_stories(index: LoadedIndex) -> list[Story]:
    """Every story of the index, in index order (documents and sections as they were indexed)."""
    stories = []
    for (doc_id, anchor), sections in _story_sections(index).items():
        chunks = [chunk for section in sections for chunk in section]
        first = chunks[0]
        place = place_of(first)
        assert place is not None
        meta = index.documents.get(doc_id)
        chunk_ids = [c.chunk_id for c in chunks]
        stories.append(
            Story(
                story_id=first.section_id,
                doc_id=doc_id,
                country=first.country,
                region=first.region,
                headline=_headline(anchor, first, place),
                heading_path=list(anchor),
                modules=_union([c.modules for c in chunks]),
                topics=_union([c.topics for c in chunks]),
                year=meta.year if meta else None,
                period=meta.period if meta else None,
                figures=figures_of(index, chunk_ids),
                chunk_ids=chunk_ids,
            )
        )
    return stories
