"""Heading text: a heading without its decoration, and the name a heading gives for lookups.

Converted documents decorate headings (``► Peru``, ``***Strategic reorganization***``) and number
them (``2. The Ministry of Labor``). ``clean_heading`` keeps what a reader sees in a heading path;
``heading_name`` also drops the numbering and any marker inside, which is what a heading names when
it is looked up as a country or a region. One rule for both, so they cannot drift apart.
"""

from __future__ import annotations

import re

_EDGES = re.compile(r"^[\s►▶•*_]+|[\s*_]+$")
_MARKS = re.compile(r"[*_#►▶•]+")
_NUMBERING = re.compile(r"^\s*\d+(\.\d+)*[.)]?\s+")


def _collapse(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def is_marked(text: str) -> bool:
    """Whether the heading starts with a ► marker (photo captions and speakers in converted documents)."""
    return text.lstrip().startswith(("►", "▶"))


def clean_heading(text: str) -> str:
    """Heading text without decoration (► markers, emphasis at its edges), as shown in a heading path."""
    return _collapse(_EDGES.sub("", text))


def heading_name(text: str) -> str:
    """What a heading names: its clean text without numbering or markers ('## 2. ► Peru' → 'Peru')."""
    return _collapse(_NUMBERING.sub("", _MARKS.sub(" ", clean_heading(text))))
