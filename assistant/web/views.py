"""What the HTML pages show: answers, citations, closest passages and filters as template-ready data.

Owns the safe rendering of an answer's Markdown (markdown-it-py with raw HTML, links and images
off, so document text can never become markup; ``[n]`` markers become links to the cited passage)
and the small view objects the templates read, so templates hold no logic. Citation wording comes
from ``assistant.qa.citations``; nothing here formats a citation its own way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markupsafe import Markup

from assistant.models import Answer, Citation, CuratedInfo, Passage, Turn
from assistant.qa.citations import chunk_location, citation_location, section_label
from assistant.qa.passages import passage_path, quote_positions
from assistant.search.filters import FILTER_KEYS
from assistant.search.index import LoadedIndex

FILTER_LABELS = {"country": "Country", "region": "Region", "module": "Module", "topic": "Topic", "document": "Document"}
_MARKER = re.compile(r"\[(\d{1,3})\]")
SNIPPET_CHARS = 280


def _citation_marker(state: StateInline, silent: bool) -> bool:
    """Inline rule: ``[n]`` of a known citation becomes a link to its passage."""
    if state.src[state.pos] != "[":
        return False
    match = _MARKER.match(state.src, state.pos)
    href = match and state.env.get("citation_hrefs", {}).get(int(match.group(1)))
    if not match or not href:
        return False
    if not silent:
        number = match.group(1)
        opening = state.push("link_open", "a", 1)
        opening.attrs = {"href": href, "class": "cite", "aria-label": f"Source {number}"}
        state.push("text", "", 0).content = f"[{number}]"
        state.push("link_close", "a", -1)
    state.pos = match.end()
    return True


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["link", "image", "autolink"])
    md.inline.ruler.before("link", "citation_marker", _citation_marker)
    return md


_MD = _markdown()


def render_answer(text: str, citation_hrefs: dict[int, str]) -> Markup:
    """HTML of an answer's Markdown. Safe: raw HTML in the text is escaped, only our own links are made."""
    return Markup(_MD.render(text, {"citation_hrefs": citation_hrefs}))


@dataclass(frozen=True)
class CitationView:
    """A citation as the page shows it: the ``Citation`` itself plus where it is, in words, and its link."""

    citation: Citation
    section: str
    location: str
    href: str


@dataclass(frozen=True)
class PassageItem:
    rank: int
    title: str
    country: str | None
    section: str
    location: str
    snippet: str
    href: str


@dataclass(frozen=True)
class CuratedBadge:
    """Who reviewed a curated answer and when, and the phrasing the question matched."""

    curated_id: int
    version: int
    curator: str
    reviewed_on: str  # "12 March 2030"
    reviewed_at: str  # ISO 8601, for <time datetime>
    matched_phrasing: str


@dataclass(frozen=True)
class MoreView:
    """The documents' own extracted answer, shown after a curated one under "More from the documents"."""

    html: Markup
    abstained: bool
    abstain_reason: str | None
    citations: list[CitationView]


@dataclass(frozen=True)
class TurnView:
    conversation_id: str
    answer_id: int
    question: str
    html: Markup
    abstained: bool
    abstain_reason: str | None
    filters: list[tuple[str, str]]
    follow_up_of: str | None
    read_as: str | None
    citations: list[CitationView]
    closest: list[PassageItem]
    latency_ms: float
    first: bool  # the first question of its conversation
    rating: str | None  # the latest feedback: "up", "down" or None
    curated: CuratedBadge | None = None  # a moderator's reviewed answer, when one matched
    more: MoreView | None = None

    @property
    def rating_label(self) -> str:
        return {"up": "useful", "down": "not useful"}.get(self.rating or "", "")


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    selected: bool


@dataclass(frozen=True)
class FilterField:
    key: str
    label: str
    options: list[Option] = field(default_factory=list)


def document_title(index: LoadedIndex, doc_id: str) -> str:
    meta = index.documents.get(doc_id)
    return meta.title if meta else doc_id


def filter_labels(filters: dict[str, str], index: LoadedIndex) -> list[tuple[str, str]]:
    """('Country', 'Peru') pairs of active filters, documents by title."""
    return [
        (FILTER_LABELS[key], document_title(index, value) if key == "document" else value)
        for key, value in filters.items()
        if key in FILTER_LABELS and value
    ]


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def passage_item(passage: Passage, index: LoadedIndex) -> PassageItem:
    chunk = passage.chunk
    return PassageItem(
        rank=passage.rank,
        title=document_title(index, chunk.doc_id),
        country=chunk.country,
        section=section_label(chunk.heading_path),
        location=chunk_location(chunk),
        snippet=_snippet(chunk.text),
        href=passage_path(chunk.chunk_id),
    )


def _citation_views(answer: Answer, index: LoadedIndex) -> list[CitationView]:
    return [
        CitationView(
            citation=c,
            section=section_label(c.heading_path),
            location=citation_location(c),
            href=passage_path(c.chunk_id, quote_positions(index, c.chunk_id, c.quotes)),
        )
        for c in answer.citations
    ]


def _curated_badge(info: CuratedInfo | None) -> CuratedBadge | None:
    if info is None:
        return None
    reviewed = info.reviewed_at
    return CuratedBadge(curated_id=info.id, version=info.version, curator=info.curator,
                        reviewed_on=f"{reviewed.day} {reviewed:%B %Y}", reviewed_at=reviewed.isoformat(),
                        matched_phrasing=info.matched_phrasing)


def _more_view(more: Answer | None, index: LoadedIndex) -> MoreView | None:
    if more is None:
        return None
    citations = _citation_views(more, index)
    html = render_answer(more.text, {c.citation.n: c.href for c in citations})
    return MoreView(html=html, abstained=more.abstained, abstain_reason=more.abstain_reason, citations=citations)


def turn_view(turn: Turn, index: LoadedIndex) -> TurnView:
    answer = turn.answer
    citations = _citation_views(answer, index)
    return TurnView(
        conversation_id=turn.conversation_id,
        answer_id=turn.answer_id,
        question=turn.question,
        html=render_answer(answer.text, {c.citation.n: c.href for c in citations}),
        abstained=answer.abstained,
        abstain_reason=answer.abstain_reason,
        filters=filter_labels(answer.filters, index),
        follow_up_of=turn.context,
        read_as=turn.read_as,
        citations=citations,
        closest=[passage_item(p, index) for p in answer.passages] if answer.abstained else [],
        latency_ms=turn.latency_ms,
        first=turn.position == 1,
        rating=turn.feedback[-1].rating if turn.feedback else None,
        curated=_curated_badge(answer.curated) if answer.origin == "curated" else None,
        more=_more_view(answer.more, index) if answer.origin == "curated" else None,
    )


def filter_fields(facets: dict[str, dict[str, int]], index: LoadedIndex, chosen: dict[str, str]) -> list[FilterField]:
    """The filter selects of the question form, values from the index with their passage counts."""
    fields = []
    for key in FILTER_KEYS:
        options = [
            Option(
                value=value,
                label=f"{document_title(index, value) if key == 'document' else value} ({count})",
                selected=chosen.get(key) == value,
            )
            for value, count in facets.get(key, {}).items()
        ]
        fields.append(FilterField(key, FILTER_LABELS[key], options))
    return fields
