"""Filters and question input: what a question may be restricted to, and what a question may be.

Owns the filter vocabulary (country, region, module, topic, document), validating user input against
the values the index holds (the error lists the valid ones), the facet counts behind the filter
menus, and the question checks (empty, too long). Used by search, the answer pipeline, the CLI and
the web app alike, so every door refuses the same input with the same words.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass

from assistant.config import Settings
from assistant.models import Chunk
from assistant.search.index import LoadedIndex
from assistant.text.vocabulary import canonical_module

FILTER_KEYS: tuple[str, ...] = ("country", "region", "module", "topic", "document")


class QuestionError(ValueError):
    """A question or filter the assistant cannot take, with a message for the person who asked."""


@dataclass(frozen=True)
class Filters:
    """Validated filter values (canonical spellings); None means any."""

    country: str | None = None
    region: str | None = None
    module: str | None = None
    topic: str | None = None
    document: str | None = None

    def active(self) -> dict[str, str]:
        return {key: value for key in FILTER_KEYS if (value := getattr(self, key))}

    def allows(self, chunk: Chunk) -> bool:
        return (
            (self.country is None or chunk.country == self.country)
            and (self.region is None or chunk.region == self.region)
            and (self.module is None or self.module in chunk.modules)
            and (self.topic is None or self.topic in chunk.topics)
            and (self.document is None or chunk.doc_id == self.document)
        )


def chunk_values(chunk: Chunk, key: str) -> list[str]:
    """The values a chunk has for one filter key (a chunk has several modules and topics)."""
    if key == "country":
        return [chunk.country] if chunk.country else []
    if key == "region":
        return [chunk.region]
    if key == "module":
        return chunk.modules
    if key == "topic":
        return chunk.topics
    if key == "document":
        return [chunk.doc_id]
    raise KeyError(key)


def facets(index: LoadedIndex) -> dict[str, dict[str, int]]:
    """Filter values present in the index with their chunk counts, keyed as FILTER_KEYS."""
    counts = {key: Counter(v for c in index.chunks for v in chunk_values(c, key)) for key in FILTER_KEYS}
    return {key: dict(sorted(counts[key].items())) for key in FILTER_KEYS}


def validate_filters(index: LoadedIndex, **raw: str | None) -> Filters:
    """Canonical Filters from user input; QuestionError naming the valid values when one is unknown."""
    known = facets(index)
    clean: dict[str, str | None] = {}
    for key, value in raw.items():
        if key not in FILTER_KEYS:
            raise QuestionError(f"unknown filter '{shown(key)}'; filters are: {', '.join(FILTER_KEYS)}")
        if value is None or not str(value).strip():
            clean[key] = None
            continue
        wanted = check_text(str(value).strip(), f"the {key} filter")
        candidates = {v.lower(): v for v in known[key]}
        if key == "module":
            canonical = canonical_module(wanted)
            wanted = canonical or wanted
        if key == "document":
            for doc_id, meta in index.documents.items():
                if wanted.lower() in (meta.title.lower(), meta.file_name.lower()):
                    wanted = doc_id
        match = candidates.get(wanted.lower())
        if match is None:
            valid = ", ".join(known[key]) or "(none in this index)"
            raise QuestionError(f"unknown {key} '{shown(value)}'. Valid values: {valid}")
        clean[key] = match
    return Filters(**clean)


def shown(value: object) -> str:
    """A value as an error message may echo it: characters that are not valid text are escaped."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")


def check_text(value: str, what: str = "the question") -> str:
    """The value when it is valid Unicode text; QuestionError for lone surrogates, which no file,
    database or page can hold, and for NUL, which PostgreSQL text cannot hold."""
    if "\x00" in value:
        raise QuestionError(f"{what} holds a NUL character, which is not text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        bad = shown(value[exc.start : exc.end])
        raise QuestionError(f"{what} holds characters that are not valid text ({bad})") from exc
    return value


def _visible(text: str) -> bool:
    """Whether the text holds anything but spaces and invisible format characters (zero-width…)."""
    return any(not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc") for ch in text)


def check_question(question: str, settings: Settings) -> str:
    """The question without surrounding spaces; QuestionError when it is empty, invisible, not valid
    text, or too long."""
    text = check_text((question or "").strip())
    if not _visible(text):
        raise QuestionError("the question is empty: type a question")
    if len(text) > settings.retrieval.max_question_chars:
        raise QuestionError(
            f"the question is {len(text)} characters long; the limit is {settings.retrieval.max_question_chars}. "
            "Shorten it to the essential."
        )
    return text


