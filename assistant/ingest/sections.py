"""Logical sections of a document: the heading path every line sits under, and its country/region.

Converted documents have unreliable heading levels ("## 2. The Ministry of Labor" under "## Peru",
"#### Egypt" deeper than "## Ethiopia"), so the path is not built from levels alone: a heading that
names a SCORE region or a country resets the geography; other headings nest below the current
country whatever their level; photo captions ("► Provision of …") inside a story are body text.
"""

from __future__ import annotations

from assistant.models import GLOBAL_REGION, Document, Line, Section
from assistant.text.geography import country_of_heading, region_of_country, region_of_heading
from assistant.text.headings import clean_heading, is_marked


class _PathState:
    """Where the reader is: generic headings above the regions, region, country, and sub-headings."""

    def __init__(self) -> None:
        self.outer: list[tuple[int, str]] = []  # generic headings outside regional mode
        self.prefix: list[str] | None = None  # headings above the first region (e.g. "Highlights…")
        self.region: str | None = None
        self.country: str | None = None
        self.inner: list[tuple[int, str]] = []  # headings below the current region/country

    @property
    def regional(self) -> bool:
        return self.prefix is not None

    def path(self) -> list[str]:
        if not self.regional:
            return [text for _, text in self.outer]
        geo = [name for name in (self.region, self.country) if name]
        return list(self.prefix or []) + geo + [text for _, text in self.inner]

    def enter_region(self, level: int, region: str) -> None:
        if not self.regional:
            self.prefix = [text for lvl, text in self.outer if lvl < level]
        self.region, self.country, self.inner = region, None, []

    def enter_country(self, level: int, country: str) -> None:
        if not self.regional:
            self.prefix = [text for lvl, text in self.outer if lvl < level]
            self.region = None
        if self.region is None:
            self.region = region_of_country(country)
        self.country, self.inner = country, []

    def leave_regional(self) -> None:
        self.prefix, self.region, self.country, self.inner, self.outer = None, None, None, [], []

    def push(self, level: int, text: str) -> None:
        stack = self.inner if self.regional else self.outer
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, text))


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

    for line in document.lines:
        level = line.heading_level
        if level is None:
            if current is None:
                current = start_section()
            current.lines.append(line)
            continue
        text = clean_heading(line.text)
        if not text or document.meta.title.lower().startswith(text.lower()):
            # The document's own title repeated as a heading adds nothing to a path.
            continue
        in_story = state.country is not None
        if is_marked(line.text) and in_story and level > 2:
            # A photo caption or a quote's speaker: keep it as text of the story.
            if current is None:
                current = start_section()
            current.lines.append(Line(text=text, line_no=line.line_no, page=line.page))
            continue
        region = region_of_heading(text)
        country = None if region else country_of_heading(text)
        if region:
            state.enter_region(level, region)
        elif country:
            state.enter_country(level, country)
        else:
            if state.regional and (level == 1 or (is_marked(line.text) and level <= 2)):
                state.leave_regional()
            state.push(level, text)
        current = start_section()
    return [s for s in sections if any(line.text.strip() for line in s.lines)]
