"""The PPTX handout (python-pptx): a title slide, one slide per example, then sources and credits.

An example's slide has its heading ("Country: headline") as the title, up to three quotes in
quotation marks with "[n]" (how many more the full handout holds is said), the facilitator's note
below them in a box of its own (italic, labelled as the facilitator's words), and its sources in a
text box along the bottom. The closing slides list the sources (title, author/publisher, year,
section, page or lines, licence, link) and the credit line of each document, and say when quotes
were shortened. Texts are set as runs of text, never as fields or markup. Speaker notes are not
used: python-pptx adds each one in a time that grows with the deck, too slow for a long collection.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from pptx import Presentation
from pptx.enum.text import MSO_AUTO_SIZE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.opc.packuri import PackURI
from pptx.parts.slide import SlidePart
from pptx.presentation import Presentation as PptxPresentation
from pptx.slide import Slide, SlideLayout
from pptx.text.text import TextFrame
from pptx.util import Inches, Pt

from assistant.export.attribution import SHORTENED_NOTICE
from assistant.export.view import HandoutView, ItemView

QUOTES_PER_SLIDE = 3
SOURCES_PER_SLIDE = 8
NOTE_LABEL = "Facilitator’s note: "
# The default template's layouts.
_TITLE_LAYOUT, _TITLE_ONLY_LAYOUT = 0, 5
# Font size by the length of the text a box holds, so long quotes still fit the slide.
_SIZES = ((300, 24), (600, 20), (1000, 16), (1600, 14), (2600, 12))


class _Deck:
    """A presentation that adds slides as ``Slides.add_slide`` does, in a time that does not grow.

    python-pptx 1.0 searches every relationship of the presentation for a duplicate and every slide
    id for the largest when it adds a slide, so a 2,000-slide deck took about 30 s; here a new slide
    is related without that search (being new, it cannot be related already) and ids are counted."""

    def __init__(self) -> None:
        self.presentation: PptxPresentation = Presentation()
        self._ids = self.presentation.slides._sldIdLst
        self._next_id = 256  # slide ids start at 256 (ECMA-376 §19.2.1.33); the template has no slide

    def add(self, layout: int) -> Slide:
        slide_layout: SlideLayout = self.presentation.slide_layouts[layout]
        part = self.presentation.part
        partname = PackURI(f"/ppt/slides/slide{self._next_id - 255}.xml")
        slide_part = SlidePart.new(partname, part.package, slide_layout.part)
        rId = part.rels._add_relationship(RT.SLIDE, slide_part)
        slide = slide_part.slide
        slide.shapes.clone_layout_placeholders(slide_layout)
        self._ids._add_sldId(id=self._next_id, rId=rId)
        self._next_id += 1
        return slide

    def titled(self, title: str) -> Slide:
        slide = self.add(_TITLE_ONLY_LAYOUT)
        slide.shapes.title.text = title
        slide.shapes.title.text_frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        return slide


def _size(text_length: int) -> int:
    return next((size for limit, size in _SIZES if text_length <= limit), 10)


def _fill(frame: TextFrame, paragraphs: Sequence[str], size: int, italic: bool = False) -> None:
    frame.word_wrap = True
    frame.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
    for i, text in enumerate(paragraphs):
        paragraph = frame.paragraphs[0] if i == 0 else frame.add_paragraph()
        run = paragraph.add_run()
        run.text = text
        run.font.size = Pt(size)
        run.font.italic = italic
        paragraph.space_after = Pt(size // 2)


def _box(slide: Slide, top: float, height: float, paragraphs: Sequence[str], size: int | None = None,
         italic: bool = False) -> None:
    box = slide.shapes.add_textbox(Inches(0.5), Inches(top), Inches(9.0), Inches(height))
    _fill(box.text_frame, paragraphs, size or _size(sum(len(p) for p in paragraphs)), italic)


def _example(deck: _Deck, view: HandoutView, item: ItemView) -> None:
    slide = deck.titled(item.heading)
    shown = item.quotes[:QUOTES_PER_SLIDE]
    quotes = [f"“{quote.text}” [{quote.n}]" for quote in shown]
    if len(item.quotes) > len(shown):
        more = len(item.quotes) - len(shown)
        quotes.append(f"({more} more quote{'s' if more > 1 else ''} in the full handout)")
    _box(slide, 1.6, 3.6 if item.note else 4.7, quotes)
    if item.note:
        _box(slide, 5.3, 1.0, [NOTE_LABEL + item.note], _size(len(item.note) * 3), italic=True)
    footer = [f"[{n}] {view.source(n).entry.short()} · {view.source(n).entry.licence}"
              for n in dict.fromkeys(quote.n for quote in shown)]
    _box(slide, 6.4, 0.9, footer, size=10)


def render_pptx(view: HandoutView) -> bytes:
    deck = _Deck()
    deck.presentation.core_properties.title = view.title
    deck.presentation.core_properties.author = "SCORE Assistant"
    cover = deck.add(_TITLE_LAYOUT)
    cover.shapes.title.text = view.title
    count = len(view.items)
    cover.placeholders[1].text = f"{count} example{'s' if count != 1 else ''} from ILO SCORE publications"
    for item in view.items:
        _example(deck, view, item)
    for start in range(0, len(view.sources), SOURCES_PER_SLIDE):
        slide = deck.titled("Sources" if start == 0 else "Sources (continued)")
        page = view.sources[start : start + SOURCES_PER_SLIDE]
        _box(slide, 1.5, 5.7, [f"[{source.n}] {source.entry.line()}" for source in page])
    credits = deck.titled("Credits")
    _box(credits, 1.5, 5.7, view.credits + ([SHORTENED_NOTICE] if view.shortened else []))
    out = io.BytesIO()
    deck.presentation.save(out)
    return out.getvalue()
