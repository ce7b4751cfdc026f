"""The one view of a handout every format renders: examples with numbered quotes, sources, credits.

Owns: refusing a handout a licence does not let out (``attribution.check_reuse``), numbering the
sources once (one number per passage quoted, in order of first use, so "[n]" means the same in DOCX,
PPTX and Markdown), the credit line of each document used, whether any quote was shortened, and
making every text inert for the file formats: characters XML cannot hold (control characters, lone
surrogates) are dropped, so a note or a quote is written as text and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.export.attribution import SourceEntry, check_reuse, credit_line, source_entry
from assistant.models import DocumentMeta, Handout

# Characters XML 1.0 cannot hold, and the C1 controls: dropped from every text written to a file.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def inert(text: str) -> str:
    """The text without characters a DOCX, PPTX or Markdown file must not carry; line breaks kept."""
    return _NOT_XML.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


@dataclass(frozen=True)
class QuoteView:
    text: str
    n: int  # the number of its source


@dataclass(frozen=True)
class ItemView:
    heading: str
    quotes: list[QuoteView]
    note: str | None


@dataclass(frozen=True)
class SourceView:
    n: int
    entry: SourceEntry


@dataclass(frozen=True)
class HandoutView:
    title: str
    items: list[ItemView]
    sources: list[SourceView]
    credits: list[str]  # one credit line per document quoted
    shortened: bool  # some quote leaves text out ("…")

    def source(self, n: int) -> SourceView:
        return self.sources[n - 1]


def handout_view(handout: Handout, documents: Mapping[str, DocumentMeta]) -> HandoutView:
    """The view of a handout, or ExportRefused naming each document whose licence does not allow it."""
    excerpts = [excerpt for item in handout.items for excerpt in item.excerpts]
    check_reuse((excerpt.doc_id for excerpt in excerpts), documents)
    numbers: dict[str, int] = {}
    sources: list[SourceView] = []
    items = []
    for item in handout.items:
        quotes = []
        for excerpt in item.excerpts:
            if excerpt.chunk_id not in numbers:
                numbers[excerpt.chunk_id] = len(sources) + 1
                entry = source_entry(documents[excerpt.doc_id], excerpt)
                sources.append(SourceView(len(sources) + 1, _inert_entry(entry)))
            quotes.append(QuoteView(inert(excerpt.text), numbers[excerpt.chunk_id]))
        note = inert(item.note).strip() if item.note else None
        items.append(ItemView(inert(item.heading), quotes, note or None))
    used = dict.fromkeys(excerpt.doc_id for excerpt in excerpts)
    return HandoutView(
        title=inert(handout.title).strip() or "Handout",
        items=items,
        sources=sources,
        credits=[inert(credit_line(documents[doc_id])) for doc_id in used],
        shortened=any(excerpt.shortened for excerpt in excerpts),
    )


def _inert_entry(entry: SourceEntry) -> SourceEntry:
    return SourceEntry(**{name: inert(value) if isinstance(value, str) else value
                          for name, value in vars(entry).items()})
