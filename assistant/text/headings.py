"""Heading text: a heading without its decoration, its numbering, and the name it gives for lookups.

Converted documents decorate headings (``► Peru``, ``***Strategic reorganization***``) and number
them (``2. The Ministry of Labor``). ``clean_heading`` keeps what a reader sees in a heading path;
``heading_name`` also drops the numbering and any marker inside, which is what a heading names when
it is looked up as a country or a region. One rule for both, so they cannot drift apart.
``heading_number`` reads the numbering itself, so that a reader of the outline can tell which
sequence of headings a numbered heading continues.
"""

from __future__ import annotations

import re

_EDGES = re.compile(r"^[\s►▶•*_]+|[\s*_]+$")
_MARKS = re.compile(r"[*_#►▶•]+")
_NUMBERING = re.compile(r"^\s*\d+(\.\d+)*[.)]?\s+")
# At most three digits a part: '2020 in review' starts with a year, not with the 2020th heading.
_NUMBER = re.compile(r"^\s*(\d{1,3}(?:\.\d{1,3})*)[.)]?\s+")


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


def heading_number(text: str) -> tuple[int, ...] | None:
    """The numbering a heading starts with ('2. The Ministry' → (2,), '1.3 Delivery' → (1, 3)), or None."""
    match = _NUMBER.match(clean_heading(text))
    return tuple(int(part) for part in match.group(1).split(".")) if match else None


def continues_numbering(previous: tuple[int, ...] | None, current: tuple[int, ...] | None) -> bool:
    """Whether ``current`` is the number right after ``previous`` in the same sequence (7 → 8, 2.3 → 2.4)."""
    if previous is None or current is None or len(previous) != len(current):
        return False
    return previous[:-1] == current[:-1] and current[-1] == previous[-1] + 1
