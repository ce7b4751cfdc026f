"""Logical sections of a document: the heading path every line sits under, and its country/region.

Converted documents have unreliable heading levels ("## 2. The Ministry of Labor" under "## Peru",
"#### Egypt" deeper than "## Ethiopia"), so the path is not built from levels alone. The rules:

* A heading that names a SCORE region resets the geography whatever its level.
* A heading that names a country (``country_of_heading``: the country leads it, or ends it in
  brackets) opens a country story whatever its level. When the heading says nothing of a place, a
  short "Label: value" line among the first lines under it ("Location: Arequipa, Peru") names the
  country instead. The story's region is the region heading above it or, without one, each country's
  own continent (``region_of_country``). The path shows the region, then the heading as written (or
  the country's display name when the heading is the name alone, as in "## Peru").
* A country heading naming the country the reader is already in, deeper than the heading that opened
  the story ("#### 1. Indonesian Business …" inside "## Indonesia"), is a sub-heading, not a new story.
* Other headings nest below the current story whatever their level, except where numbering says
  otherwise: a numbered heading that continues the numbers of the story headings ("## 8. Knitting …"
  after "## 7. Colombia - …") is their sibling and leaves the country, while one that continues the
  numbers inside the story ("## 2. The Ministry of Labor" after "#### 1. The Ministry of Production"
  inside Peru) stays in it. When it continues both, a level no deeper than the story heading's decides
  for sibling. A level-1 heading, or a marked one at level 2, leaves the regional part altogether.
* Photo captions ("► Provision of …") inside a story are body text, and so is a "Location: …" line
  that a plain-text heading guess took for a heading.
"""

from __future__ import annotations

from itertools import islice

from assistant.models import GLOBAL_REGION, Document, Line, Section
from assistant.text.geography import (
    country_of_heading,
    country_of_label_line,
    country_of_name,
    region_of_country,
    region_of_heading,
)
from assistant.text.headings import clean_heading, continues_numbering, heading_name, heading_number, is_marked

# How many non-empty lines under a heading may say where its section is ("Location: …").
_OPENING_LINES = 3

Number = tuple[int, ...] | None


class _PathState:
    """Where the reader is: generic headings above the regions, region, story (country), and sub-headings."""

    def __init__(self) -> None:
        self.outer: list[tuple[int, str]] = []  # generic headings outside regional mode
        self.prefix: list[str] | None = None  # headings above the first region (e.g. "Highlights…")
        self.region: str | None = None
        self.region_from_heading = False  # False: the region is the fallback of the current country
        self.country: str | None = None
        self.story: str | None = None  # the heading that opened the story, as shown in the path
        self.story_level = 0
        self.story_number: Number = None
        self.inner: list[tuple[int, str]] = []  # headings below the current region/story
        self.inner_numbers: dict[int, tuple[int, ...]] = {}  # last inner number, by depth (1 → (2,))

    @property
    def regional(self) -> bool:
        return self.prefix is not None

    def path(self) -> list[str]:
        if not self.regional:
            return [text for _, text in self.outer]
        geo = [name for name in (self.region, self.story) if name]
        return list(self.prefix or []) + geo + [text for _, text in self.inner]

    def _enter_regional(self, level: int) -> None:
        if not self.regional:
            self.prefix = [text for lvl, text in self.outer if lvl < level]
            self.region, self.region_from_heading = None, False

    def _open_story(self, level: int, country: str | None, shown: str | None, number: Number) -> None:
        self.country, self.story, self.story_level, self.story_number = country, shown, level, number
        self.inner, self.inner_numbers = [], {}

    def enter_region(self, level: int, region: str) -> None:
        self._enter_regional(level)
        self.region, self.region_from_heading = region, True
        self._open_story(level, None, None, None)

    def enter_country(self, level: int, country: str, shown: str, number: Number) -> None:
        self._enter_regional(level)
        if not self.region_from_heading:
            # Each country outside a region heading gets its own fallback region, not its predecessor's.
            self.region = region_of_country(country)
        self._open_story(level, country, shown, number)

    def enter_sibling(self, level: int, text: str, number: Number) -> None:
        """A numbered story without a country next to the country stories: it leaves the country."""
        if not self.region_from_heading:
            self.region = None
        self._open_story(level, None, text, number)

    def leave_regional(self) -> None:
        self.prefix, self.region, self.region_from_heading, self.outer = None, None, False, []
        self._open_story(0, None, None, None)

    def push(self, level: int, text: str, number: Number) -> None:
        stack = self.inner if self.regional else self.outer
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))
        if self.regional and number:
            self.inner_numbers[len(number)] = number

    def is_sub_heading(self, level: int, country: str, number: Number) -> bool:
        """Whether a heading naming ``country`` is part of the story already about that country."""
        return (
            country == self.country and level > self.story_level and not continues_numbering(self.story_number, number)
        )

    def is_sibling(self, level: int, number: Number) -> bool:
        """Whether a numbered heading continues the story headings' numbers rather than the inner ones."""
        if not self.regional or not continues_numbering(self.story_number, number):
            return False
        continues_inner = number is not None and continues_numbering(self.inner_numbers.get(len(number)), number)
        return not continues_inner or level <= self.story_level


def _is_place_label(line: Line) -> bool:
    """Whether a line is a "Location: Arequipa, Peru" line, which plain-text heading guesses take for a heading."""
    return country_of_label_line(line.text) is not None


def _opening_country(lines: list[Line], heading_index: int) -> str | None:
    """The country a "Label: value" line among the first non-empty lines under a heading names."""
    seen = 0
    for line in islice(lines, heading_index + 1, None):
        if (line.heading_level is not None and not _is_place_label(line)) or seen == _OPENING_LINES:
            return None
        if line.text.strip():
            seen += 1
            country = country_of_label_line(line.text)
            if country:
                return country
    return None


def _is_caption(line: Line, state: _PathState) -> bool:
    """A photo caption or a quote's speaker inside a story: a marked heading below level 2, read as text."""
    return is_marked(line.text) and state.country is not None and (line.heading_level or 0) > 2


def _shown(text: str, country: str) -> str:
    """How a country heading appears in the path: the country alone when that is all it says."""
    return country if country_of_name(heading_name(text)) == country else text


def _apply_heading(state: _PathState, lines: list[Line], index: int, level: int, text: str) -> None:
    """Move the reader to a heading: a region, a country story, a sibling story or a sub-heading."""
    line = lines[index]
    number = heading_number(text)
    region = region_of_heading(text)
    country = None if region else country_of_heading(text) or _opening_country(lines, index)
    if region:
        state.enter_region(level, region)
    elif country and state.regional and state.is_sub_heading(level, country, number):
        state.push(level, text, number)
    elif country:
        state.enter_country(level, country, _shown(text, country), number)
    elif state.regional and (level == 1 or (is_marked(line.text) and level <= 2)):
        state.leave_regional()
        state.push(level, text, number)
    elif state.is_sibling(level, number):
        state.enter_sibling(level, text, number)
    else:
        state.push(level, text, number)


def split_sections(document: Document) -> list[Section]:
    """Group a document's lines into sections with a repaired heading path and geography."""
    state = _PathState()
    sections: list[Section] = []
    current: Section | None = None

    def start_section() -> Section:
        region = state.region if state.country or state.region else GLOBAL_REGION
        section = Section(heading_path=state.path(), country=state.country, region=region or GLOBAL_REGION)
        sections.append(section)
        return section

    title = document.meta.title.lower()
    for index, line in enumerate(document.lines):
        if line.heading_level is not None and not _is_place_label(line):
            text = clean_heading(line.text)
            if not text or title.startswith(text.lower()):
                # The document's own title repeated as a heading adds nothing to a path.
                continue
            if not _is_caption(line, state):
                _apply_heading(state, document.lines, index, line.heading_level, text)
                current = start_section()
                continue
            line = Line(text=text, line_no=line.line_no, page=line.page)
        elif line.heading_level is not None:
            # A "Location: …" line says where its section is, whatever the heading guess made of it.
            line = Line(text=line.text, line_no=line.line_no, page=line.page)
        if current is None:
            current = start_section()
        current.lines.append(line)
    return [s for s in sections if any(line.text.strip() for line in s.lines)]
