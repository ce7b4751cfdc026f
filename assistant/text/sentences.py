"""Sentence splitting with character spans, for quoting evidence and highlighting it.

List items are sentences of their own; prose is split at sentence ends, not at the full stops of
common abbreviations. The spans index into the text given, so a quote can be highlighted in place.
"""

from __future__ import annotations

import re

from assistant.models import Chunk, Sentence

_ABBREVIATIONS = {"mr", "mrs", "ms", "dr", "hon", "e.g", "i.e", "etc", "no", "vs", "st", "approx", "inc", "ltd", "co"}
_BOUNDARY = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[\"“(‘]?[A-Z0-9►])")
_LIST_MARK = re.compile(r"^\s*(?:[-*•►▶]|\d+[.)])\s+")


def _prose_spans(text: str, offset: int) -> list[tuple[int, int]]:
    spans = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        before = text[start : match.start()].rstrip()
        last_word = re.search(r"([\w.]+)\.$", before)
        if last_word and last_word.group(1).lower().rstrip(".") in _ABBREVIATIONS:
            continue
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(offset + a, offset + b) for a, b in spans if text[a:b].strip()]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Spans (start, end) of the sentences of a text, list items and prose alike."""
    spans: list[tuple[int, int]] = []
    position = 0
    paragraph: list[tuple[int, str]] = []

    def flush() -> None:
        if paragraph:
            start = paragraph[0][0]
            end = paragraph[-1][0] + len(paragraph[-1][1])
            spans.extend(_prose_spans(text[start:end], start))
            paragraph.clear()

    for line in text.splitlines(keepends=True):
        body = line.rstrip("\n")
        if not body.strip():
            flush()
        elif _LIST_MARK.match(body):
            flush()
            marker = _LIST_MARK.match(body)
            assert marker is not None
            spans.append((position + marker.end(), position + len(body.rstrip())))
        else:
            paragraph.append((position, body))
        position += len(line)
    flush()
    return [(a + (len(text[a:b]) - len(text[a:b].lstrip())), b - (len(text[a:b]) - len(text[a:b].rstrip())))
            for a, b in spans if text[a:b].strip()]


def sentences_of(chunk: Chunk) -> list[Sentence]:
    """The sentences of a chunk, numbered in order, with their spans in the chunk text."""
    return [
        Sentence(chunk_id=chunk.chunk_id, position=i, text=chunk.text[a:b], start=a, end=b)
        for i, (a, b) in enumerate(split_sentences(chunk.text))
    ]
