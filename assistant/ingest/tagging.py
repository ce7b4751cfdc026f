"""Tagging chunks with the SCORE modules and topics they speak of (country and region come from sections)."""

from __future__ import annotations

from assistant.models import Chunk
from assistant.text.vocabulary import modules_in, topics_in


def tag_chunk(chunk: Chunk) -> Chunk:
    """Set the chunk's modules and topics from its heading path and text."""
    text = " ".join(chunk.heading_path) + "\n" + chunk.text
    chunk.modules = modules_in(text)
    chunk.topics = topics_in(text)
    return chunk
