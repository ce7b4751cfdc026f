"""The DOCX handout (python-docx): title, the examples, the sources and the credit lines.

Each example: its heading ("Country: headline"), its quotes in quotation marks with "[n]" (style
Quote), and the facilitator's note in a paragraph style of its own ("Facilitator Note"), labelled as
the facilitator's words. Then "Sources" (title, author/publisher, year, section, page or lines,
licence, link, by number) and "Credits" (one credit line per document, and a statement when quotes
were shortened). Every text goes into a run as text: python-docx writes it escaped in ``w:t``, so
nothing in a note or a quote can become a field code, markup or a link.
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement
from docx.shared import Pt, RGBColor
from docx.styles.style import ParagraphStyle
from docx.text.paragraph import Paragraph

from assistant.export.attribution import SHORTENED_NOTICE
from assistant.export.view import HandoutView

NOTE_STYLE = "Facilitator Note"
NOTE_LABEL = "Facilitator’s note: "
SOURCE_STYLE = "Handout Source"


def _note_style(document: DocxDocument) -> ParagraphStyle:
    style = document.styles.add_style(NOTE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.italic = True
    style.font.color.rgb = RGBColor(0x1F, 0x5C, 0x4A)
    style.paragraph_format.left_indent = Pt(18)
    style.paragraph_format.space_before = Pt(4)
    style.paragraph_format.space_after = Pt(10)
    return style


def _source_style(document: DocxDocument) -> ParagraphStyle:
    style = document.styles.add_style(SOURCE_STYLE, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = document.styles["Normal"]
    style.font.size = Pt(9)
    style.paragraph_format.space_after = Pt(4)
    return style


class _Body:
    """Adds paragraphs at the end of a document's body in a time that does not grow with it.

    python-docx's ``add_paragraph`` looks the body's section properties up among all its paragraphs
    and the style among all styles, each time: a 2,000-example handout took most of a minute. Here
    the paragraph goes before the section properties found once, with its style given by id."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.end = document.element.body.sectPr

    def paragraph(self, style_id: str, text: str = "") -> Paragraph:
        element = OxmlElement("w:p")
        element.style = style_id
        if self.end is not None:
            self.end.addprevious(element)
        else:
            self.document.element.body.append(element)
        paragraph = Paragraph(element, self.document._body)
        if text:
            paragraph.add_run(text)
        return paragraph


def render_docx(view: HandoutView) -> bytes:
    document = Document()
    document.core_properties.title = view.title
    document.core_properties.author = "SCORE Assistant"
    styles = document.styles
    title, heading, quote = (styles[name].style_id for name in ("Title", "Heading 1", "Quote"))
    note, source_style = _note_style(document).style_id, _source_style(document).style_id
    body = _Body(document)
    body.paragraph(title, view.title)
    for item in view.items:
        body.paragraph(heading, item.heading)
        for shown in item.quotes:
            body.paragraph(quote, f"“{shown.text}” [{shown.n}]")
        if item.note:
            paragraph = body.paragraph(note)
            paragraph.add_run(NOTE_LABEL).bold = True
            paragraph.add_run(item.note)
    body.paragraph(heading, "Sources")
    for source in view.sources:
        paragraph = body.paragraph(source_style)
        paragraph.add_run(f"[{source.n}] {source.entry.title}.").bold = True
        for label, value in source.entry.fields():
            paragraph.add_run(f" {label}: {value}.")
    body.paragraph(heading, "Credits")
    for credit in view.credits:
        body.paragraph(source_style, credit)
    if view.shortened:
        body.paragraph(source_style, SHORTENED_NOTICE)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
