"""Handout exports over the bundled Annual Update: the files are opened with the libraries that read
them (python-docx, python-pptx, markdown-it) and must hold every quote, note and credit line; the
licence rule, unknown formats, hostile notes and titles are refused or made inert."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile

import pytest
from docx import Document
from markdown_it import MarkdownIt
from pptx import Presentation

from assistant.export.attribution import SHORTENED_NOTICE, ExportRefused, credit_line, licence_url, refusal
from assistant.export.handouts import (
    NothingToExport,
    excerpt_from_chunk,
    handout_from_answer,
    handout_from_story,
)
from assistant.export.render import FORMATS, UnknownFormat, content_disposition, render, safe_filename
from assistant.ingest.sources import SourceError, load_document, read_catalog
from assistant.library.browse import StoryLibrary
from assistant.models import Handout, HandoutItem
from tests.conftest import ROOT

DOC = "score-annual-update-2023-24"
HOSTILE_NOTE = (
    'Open with { DDE "c:\\\\windows\\\\system32\\\\cmd.exe" "/c calc" } and { INCLUDEPICTURE "http://x" } '
    "<script>alert(1)</script> [click](javascript:alert(2)) ![img](http://x/y.png)\x07\x00 =cmd|' /C calc'!A0\n"
    "# not a heading\n- not a list"
)
INERT_NOTE = HOSTILE_NOTE.replace("\x07", "").replace("\x00", "")


@pytest.fixture(scope="module")
def index(bundled_assistant):
    return bundled_assistant.index


@pytest.fixture(scope="module")
def library(bundled_assistant, bundled_settings) -> StoryLibrary:
    return StoryLibrary(bundled_assistant.index, bundled_assistant.embedder, bundled_settings)


def _story(library: StoryLibrary, country: str):
    return next(story for story in library.stories if story.country == country)


def _chunk(index, country: str, words: str):
    return next(c for c in index.chunks if c.country == country and words in c.text)


@pytest.fixture(scope="module")
def handout(index, library) -> Handout:
    """Two stories with notes, and three quotes picked from passages, one of them shortened."""
    stories = [handout_from_story(_story(library, country), index).items[0] for country in ("Myanmar", "Albania")]
    stories[0].note = "Ask the group: who pays for training in your country?"
    stories[1].note = "Line one of the note.\nLine two: show the 5S photos."
    myanmar = _chunk(index, "Myanmar", "fully covered the training cost")
    picked = HandoutItem(
        heading="Myanmar: trainers sell SCORE without donors",
        country="Myanmar",
        excerpts=[
            excerpt_from_chunk(myanmar, "at least 19 enterprises fully covered the training cost"),
            excerpt_from_chunk(myanmar, "Since then, individual SCORE Trainers … fully covered the training cost."),
        ],
        note=HOSTILE_NOTE,
    )
    return Handout(title="Who pays for training?", items=[*stories, picked])


def _quotes(handout: Handout) -> list[str]:
    return [excerpt.text for item in handout.items for excerpt in item.excerpts]


def _notes(handout: Handout) -> list[str]:
    return [item.note.replace("\x07", "").replace("\x00", "") for item in handout.items if item.note]


def _credit(index) -> str:
    return credit_line(index.documents[DOC])


# --- excerpts ----------------------------------------------------------------------------------


def test_an_excerpt_is_verbatim_and_keeps_where_it_comes_from(index):
    chunk = _chunk(index, "Myanmar", "fully covered the training cost")
    sentence = "Since then, individual SCORE Trainers have continued to proactively promote and deliver SCORE Training."
    whole, quoted = excerpt_from_chunk(chunk), excerpt_from_chunk(chunk, sentence)
    assert whole.text == chunk.text.strip() and not whole.shortened
    assert quoted.text == sentence and not quoted.shortened
    assert quoted.passage_sha256 == hashlib.sha256(chunk.text.encode("utf-8")).hexdigest() == whole.passage_sha256
    assert (quoted.chunk_id, quoted.doc_id, quoted.heading_path) == (chunk.chunk_id, DOC, chunk.heading_path)
    assert (quoted.line_start, quoted.line_end) == (chunk.line_start, chunk.line_end)


def test_a_quote_that_leaves_words_out_is_marked_shortened(index):
    chunk = _chunk(index, "Myanmar", "fully covered the training cost")
    inside = excerpt_from_chunk(chunk, "individual SCORE Trainers have continued")
    assert inside.shortened and inside.text == "… individual SCORE Trainers have continued …"
    gap = excerpt_from_chunk(chunk, "In Myanmar, the ILO Global SCORE Programme ... fully covered the training cost.")
    assert gap.shortened and gap.text == "In Myanmar, the ILO Global SCORE Programme … fully covered the training cost."
    # A selection loses the line breaks of the passage; it is still the passage's words.
    spread = excerpt_from_chunk(chunk, " ".join(chunk.text.split()[:60]))
    assert spread.text.removesuffix(" …").split() == chunk.text.split()[:60]


@pytest.mark.parametrize("quote", ["19 enterprises paid for everything", "", "fully covered … in Peru"])
def test_a_quote_not_in_the_passage_is_refused_naming_it(index, quote):
    chunk = _chunk(index, "Myanmar", "fully covered the training cost")
    with pytest.raises(ValueError) as refused:
        excerpt_from_chunk(chunk, quote)
    assert chunk.chunk_id in str(refused.value) and quote.strip()[:20] in str(refused.value)


def test_a_story_handout_quotes_each_paragraph_of_the_story_once(index, library):
    for story in library.stories:
        item = handout_from_story(story, index).items[0]
        texts = [excerpt.text for excerpt in item.excerpts]
        assert len(texts) == len(set(texts)) and item.heading.endswith(story.headline)
        chunks = {c.chunk_id: c.text for c in (index.chunk(cid) for cid in story.chunk_ids)}
        assert all(excerpt.text in chunks[excerpt.chunk_id] for excerpt in item.excerpts)
        joined = "\n".join(texts)
        assert all(" ".join(figure.split()) in " ".join(joined.split()) for figure in story.figures)


def test_an_answer_handout_holds_every_quoted_sentence(bundled_assistant, index):
    answer = bundled_assistant.ask("How did other countries cover the cost of SCORE training?")
    handout = handout_from_answer(answer, index)
    quoted = [excerpt.text for item in handout.items for excerpt in item.excerpts]
    assert answer.citations and all(q in quoted for c in answer.citations for q in (c.quotes or [c.quote]))
    assert handout.title == answer.question
    assert len(handout.items) == len({(c.country, tuple(c.heading_path)) for c in answer.citations})
    # A stored answer still exports when a later build no longer holds its passage.
    moved = [c.model_copy(update={"chunk_id": "gone"}) for c in answer.citations]
    gone = answer.model_copy(update={"citations": moved})
    assert [e.text for i in handout_from_answer(gone, index).items for e in i.excerpts] == quoted
    abstained = answer.model_copy(update={"citations": [], "abstained": True})
    with pytest.raises(NothingToExport):
        handout_from_answer(abstained, index)


# --- the files ---------------------------------------------------------------------------------


def _docx_paragraphs(body: bytes) -> list:
    return Document(io.BytesIO(body)).paragraphs


def test_the_docx_holds_every_quote_note_and_credit_line(handout, index):
    paragraphs = _docx_paragraphs(render(handout, index.documents, "docx"))
    texts = [p.text for p in paragraphs]
    assert texts[0] == handout.title and paragraphs[0].style.name == "Title"
    headings = [p.text for p in paragraphs if p.style.name == "Heading 1"]
    assert headings == [item.heading for item in handout.items] + ["Sources", "Credits"]
    quoted = [p.text for p in paragraphs if p.style.name == "Quote"]
    assert [re.sub(r"^“|” \[\d+\]$", "", text) for text in quoted] == _quotes(handout)
    notes = [p for p in paragraphs if p.style.name == "Facilitator Note"]
    assert [p.text for p in notes] == [f"Facilitator’s note: {note}" for note in _notes(handout)]
    assert all(p.runs[0].bold and p.runs[0].text == "Facilitator’s note: " for p in notes)
    assert _credit(index) in texts and SHORTENED_NOTICE in texts
    sources = [t for t in texts if t.startswith("[")]
    assert sources and all("Licence: CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)" in s for s in sources)
    assert any("Section: Highlights and Success Stories › Asia › Myanmar" in s and "Lines: " in s for s in sources)


def test_quote_numbers_point_at_the_source_of_the_quote(handout, index):
    texts = [p.text for p in _docx_paragraphs(render(handout, index.documents, "docx"))]
    sources = {int(m.group(1)): t for t in texts if (m := re.match(r"^\[(\d+)\] ", t))}
    excerpts = [e for item in handout.items for e in item.excerpts]
    numbers = [int(re.search(r"\[(\d+)\]$", t).group(1)) for t in texts if re.search(r"” \[\d+\]$", t)]
    for excerpt, n in zip(excerpts, numbers, strict=True):
        chunk = index.chunk(excerpt.chunk_id)
        assert f"Lines: {chunk.line_start}" in sources[n]
    assert sorted(sources) == list(range(1, len({e.chunk_id for e in excerpts}) + 1))


def _slide_texts(slide) -> list[str]:
    return [shape.text_frame.text for shape in slide.shapes if shape.has_text_frame]


def test_the_pptx_has_a_slide_per_example_and_closing_credits(handout, index):
    deck = Presentation(io.BytesIO(render(handout, index.documents, "pptx")))
    slides = list(deck.slides)
    assert slides[0].shapes.title.text == handout.title
    examples = slides[1 : 1 + len(handout.items)]
    for slide, item in zip(examples, handout.items, strict=True):
        assert slide.shapes.title.text == item.heading
        text = "\n".join(_slide_texts(slide))
        assert all(f"“{excerpt.text}”" in text for excerpt in item.excerpts[:3])
        assert all(f"“{excerpt.text}”" not in text for excerpt in item.excerpts[3:])
        if len(item.excerpts) > 3:
            assert f"({len(item.excerpts) - 3} more quote" in text
        if item.note:
            assert f"Facilitator’s note: {item.note.replace(chr(7), '').replace(chr(0), '')}" in text
        footer = _slide_texts(slide)[-1]
        assert "SCORE Annual Update 2023-24" in footer and "CC BY 4.0" in footer
    closing = "\n".join(t for slide in slides[1 + len(handout.items) :] for t in _slide_texts(slide))
    assert slides[-1].shapes.title.text == "Credits"
    assert _credit(index) in closing and SHORTENED_NOTICE in closing and "Licence: CC BY 4.0" in closing


def test_the_pptx_shows_every_quote_of_short_examples_and_opens_clean(index, library):
    handout = handout_from_story(_story(library, "Philippines"), index)
    short = Handout(title="t", items=[HandoutItem(heading=f"{i}", excerpts=[e]) for i, e in
                                      enumerate(handout.items[0].excerpts)])
    deck = Presentation(io.BytesIO(render(short, index.documents, "pptx")))
    shown = "\n".join(t for slide in deck.slides for t in _slide_texts(slide))
    assert all(excerpt.text in shown for excerpt in handout.items[0].excerpts)
    assert len(deck.slides) == 1 + len(short.items) + 1 + 1  # title, examples, sources, credits
    assert [s.slide_id for s in deck.slides] == list(range(256, 256 + len(deck.slides)))


def _markdown_text(body: bytes) -> str:
    html = MarkdownIt("commonmark").render(body.decode("utf-8"))
    assert "<a " not in html and "<script" not in html and "<img" not in html
    text = re.sub(r"<[^>]+>", "", html)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"').replace("&amp;", "&")


def test_the_markdown_holds_the_same_quotes_notes_and_credit(handout, index):
    body = render(handout, index.documents, "md")
    text = _markdown_text(body)
    paragraphs = _docx_paragraphs(render(handout, index.documents, "docx"))
    docx_quotes = [p.text for p in paragraphs if p.style.name == "Quote"]
    flat = " ".join(text.split())
    assert all(" ".join(quote.split()) in flat for quote in docx_quotes)
    assert all(" ".join(note.split()) in flat for note in _notes(handout))
    assert " ".join(_credit(index).split()) in flat and SHORTENED_NOTICE in flat
    assert body.decode().count("\n## ") == len(handout.items) + 2  # the examples, Sources, Credits


# --- licences, formats, hostile text, file names ------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"reuse": False}, "reuse = false"),
        ({"license": None}, "licence is unknown"),
        ({"license": "All rights reserved", "reuse": None}, "not a known open licence"),
    ],
)
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_document_whose_licence_does_not_allow_reuse_is_refused_by_name(handout, index, change, reason, fmt):
    documents = {**index.documents, DOC: index.documents[DOC].model_copy(update=change)}
    with pytest.raises(ExportRefused) as refused:
        render(handout, documents, fmt)
    assert "SCORE Annual Update 2023-24" in str(refused.value) and reason in str(refused.value)


def test_reuse_follows_the_catalog_then_the_licence(handout, index):
    meta = index.documents[DOC]
    assert meta.reuse is True and meta.license == "CC BY 4.0"
    permitted = {DOC: meta.model_copy(update={"license": "ILO copyright, reproduced with permission"})}
    assert render(handout, permitted, "md")  # reuse = true: the catalog says the licence allows it
    open_by_default = {DOC: meta.model_copy(update={"reuse": None, "license": "CC BY-SA 3.0 IGO"})}
    assert "creativecommons.org/licenses/by-sa/3.0/igo/" in render(handout, open_by_default, "md").decode()
    with pytest.raises(ExportRefused, match="not in the index"):
        render(handout, {}, "docx")
    assert licence_url("Creative Commons Attribution 4.0 International") == "https://creativecommons.org/licenses/by/4.0/"
    assert licence_url("CC BY-NC 4.0") is None


@pytest.mark.parametrize("fmt", ["pdf", "DOCX ", "", "../docx"])
def test_an_unknown_format_is_refused_listing_the_valid_ones(handout, index, fmt):
    if fmt.strip().lower() == "docx":
        assert render(handout, index.documents, fmt)[:2] == b"PK"
        return
    with pytest.raises(UnknownFormat, match="valid formats: docx, pptx, md") as refused:
        render(handout, index.documents, fmt)
    assert isinstance(refused.value, ValueError)


def _content_xml(body: bytes) -> str:
    """The XML of the document body or of the slides (the templates' own masters hold date fields)."""
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        names = [n for n in archive.namelist() if n == "word/document.xml" or re.match(r"ppt/slides/slide\d+\.xml$", n)]
        assert names
        return "".join(archive.read(name).decode("utf-8") for name in names)


@pytest.mark.parametrize("fmt", ["docx", "pptx"])
def test_a_hostile_note_stays_text_in_office_files(handout, index, fmt):
    body = render(handout, index.documents, fmt)
    xml = _content_xml(body)
    for field in ("fldSimple", "fldChar", "instrText", "a:fld ", "hlinkClick", "r:link"):
        assert field not in xml
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in xml and "<script" not in xml
    if fmt == "docx":
        texts = [p.text for p in _docx_paragraphs(body)]
    else:
        texts = [t for slide in Presentation(io.BytesIO(body)).slides for t in _slide_texts(slide)]
    assert any(INERT_NOTE in text for text in texts)


def test_a_hostile_note_stays_text_in_markdown(handout, index):
    body = render(handout, index.documents, "md").decode()
    html = MarkdownIt("commonmark").render(body)
    assert "<script" not in html and "<a " not in html and "<img" not in html
    assert "<h1>not a heading" not in html and "<li>not a list" not in html
    assert INERT_NOTE.split("\n")[0] in _markdown_text(body.encode())


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Who pays? / Myanmar: Peru", "Who pays Myanmar Peru.docx"),
        ("../../etc/passwd", "etc passwd.docx"),
        ("..", "handout.docx"),
        ("", "handout.docx"),
        ("\x00\x1b[31m\r\n\t", "[31m.docx"),
        ("CON", "handout CON.docx"),
        ("Égypte — ventes", "Égypte — ventes.docx"),
    ],
)
def test_titles_make_safe_file_names(title, expected):
    assert safe_filename(title, "docx") == expected


@pytest.mark.parametrize("title", ["a" * 500, "../" * 100, "x\x00" * 300, "中" * 300, " . " * 50])
def test_file_names_are_bounded_and_never_a_path(title):
    name = safe_filename(title, "md")
    assert name.endswith(".md") and 3 < len(name) <= 83 and "/" not in name and "\\" not in name
    assert ".." not in name and not name.startswith((".", " ")) and name.isprintable()


def test_content_disposition_offers_the_exact_name_and_an_ascii_stand_in():
    value = content_disposition(safe_filename("Égypte: “grievance” boxes / 中国", "docx"))
    assert value.startswith('attachment; filename="Egypte grievance boxes.docx"; ')
    exact = "%C3%89gypte%20%E2%80%9Cgrievance%E2%80%9D%20boxes%20%E4%B8%AD%E5%9B%BD.docx"
    assert value.endswith(f"filename*=UTF-8''{exact}")
    assert 'filename="handout.md"' in content_disposition(safe_filename("中国", "md"))


# --- the catalog's reuse field -----------------------------------------------------------------


@pytest.mark.parametrize(("line", "expected"), [("reuse = false", False), ("reuse = true", True), ("", None)])
def test_the_catalog_says_whether_a_document_may_be_exported(tmp_path, line, expected):
    (tmp_path / "notes.md").write_text("# Notes\n\nSome text.\n", encoding="utf-8")
    (tmp_path / "catalog.toml").write_text(f'["notes.md"]\nlicense = "CC BY 4.0"\n{line}\n', encoding="utf-8")
    assert load_document(tmp_path / "notes.md").meta.reuse is expected


def test_a_reuse_that_is_not_true_or_false_is_a_catalog_error(tmp_path):
    (tmp_path / "notes.md").write_text("# Notes\n\nSome text.\n", encoding="utf-8")
    (tmp_path / "catalog.toml").write_text('["notes.md"]\nreuse = "yes"\n', encoding="utf-8")
    with pytest.raises(SourceError, match="'reuse' must be true or false"):
        load_document(tmp_path / "notes.md")


@pytest.mark.parametrize("folder", [ROOT / "corpus", ROOT / "eval" / "documents" / "corpus"])
def test_the_bundled_catalogs_let_their_documents_be_exported(folder):
    catalog = read_catalog(folder)
    assert catalog
    for name in catalog:
        meta = load_document(folder / name, catalog).meta
        assert meta.reuse is True and refusal(meta) is None and credit_line(meta).startswith(meta.attribution)
