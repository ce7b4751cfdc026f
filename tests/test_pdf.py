"""PDFs as they come: headings from font size and weight, running headers/footers and page numbers
dropped, pages and lines kept; on fpdf2-made files and on the bundled Annual Update printed by Chromium."""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from pathlib import Path

import pytest

from assistant.ingest.sections import split_sections
from assistant.ingest.sources import load_document
from assistant.models import Document, Section
from eval.tools.markdown_to_pdf import ChromiumMissing, find_chromium, markdown_to_pdf
from tests.builders import REPORT_HEADER, REPORT_PAGES, write_plain_pdf, write_report_pdf

ROOT = Path(__file__).resolve().parent.parent
ANNUAL_UPDATE = ROOT / "corpus" / "score-annual-update-2023-24.md"
CHROMIUM_DATE = re.compile(r"\d{1,2}/\d{1,2}/\d{2,4},\s+\d{1,2}:\d{2}")


def _headings(document: Document) -> list[tuple[int | None, int | None, str]]:
    return [(line.page, line.heading_level, line.text) for line in document.lines if line.heading_level]


def test_typographic_headings_get_levels_and_running_lines_go(tmp_path):
    document = load_document(write_report_pdf(tmp_path / "report.pdf", REPORT_PAGES))
    assert document.page_count == 4
    assert _headings(document) == [
        (1, 1, "Highlights and Success Stories"),
        (1, 2, "Ghana"),
        (1, 3, "Recycling enterprises first"),
        # Wrapped over two lines in the PDF: one heading again.
        (2, 2, "Peru: a lead buyer in the textile supply chain pays for the training of all its small suppliers"),
        (3, 1, "Lessons Learned"),
        (3, 3, "Keep the groups small"),
        (4, 2, "Myanmar"),
    ]
    texts = [line.text for line in document.lines]
    assert not [t for t in texts if REPORT_HEADER in t or re.search(r"Page \d+ of \d+", t)]
    sawdust = next(line for line in document.lines if "Sawdust" in line.text)
    assert (sawdust.page, sawdust.line_no) == (2, 5)  # lines 1-2 of page 2 are the wrapped heading
    first_lines = {line.page: line.line_no for line in reversed(document.lines)}
    assert first_lines == {1: 1, 2: 1, 3: 1, 4: 1}


def test_sections_follow_typographic_headings(tmp_path):
    sections = split_sections(load_document(write_report_pdf(tmp_path / "report.pdf", REPORT_PAGES)))
    by_country = {s.country: s for s in sections if s.country}
    assert set(by_country) >= {"Ghana", "Peru", "Myanmar"}
    assert any("Sawdust" in line.text for line in by_country["Peru"].lines)
    assert "Recycling enterprises first" in [s.heading_path[-1] for s in sections if s.country == "Ghana"]


def test_page_numbers_go_even_when_too_few_pages_repeat(tmp_path):
    document = load_document(write_report_pdf(tmp_path / "short.pdf", REPORT_PAGES[:2]))
    assert not [line.text for line in document.lines if re.fullmatch(r"Page \d+ of \d+", line.text.strip())]
    assert any("Sawdust" in line.text for line in document.lines)


def test_a_pdf_without_typographic_signal_falls_back_to_the_text_heuristic(tmp_path):
    lines = ["1. Introduction to the Manual", "Trainers start with a walk-through of the factory.",
             "2. Measuring Electricity Use", "Install a sub-meter on each production line."]
    document = load_document(write_plain_pdf(tmp_path / "plain.pdf", lines))
    assert [text for _, _, text in _headings(document)] == [lines[0], lines[2]]


@pytest.fixture(scope="session")
def annual_update_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled Annual Update printed by headless Chromium, with its default header and footer."""
    try:
        find_chromium()
    except ChromiumMissing as exc:
        pytest.skip(f"Chromium is not installed, so the Markdown cannot be printed to PDF: {exc}")
    return markdown_to_pdf(ANNUAL_UPDATE, tmp_path_factory.mktemp("pdfcorpus") / "score-annual-update-2023-24.pdf")


@pytest.fixture(scope="session")
def annual_update(annual_update_pdf: Path) -> tuple[Document, list[Section]]:
    document = load_document(annual_update_pdf, catalog={})
    return document, split_sections(document)


def test_printed_annual_update_keeps_its_country_stories(annual_update):
    _, sections = annual_update
    by_country: dict[str, list[Section]] = defaultdict(list)
    for section in sections:
        if section.country:
            by_country[section.country].append(section)
    for country in ("Indonesia", "Peru", "Tunisia", "Myanmar", "Ghana", "Egypt"):
        lines = [line for s in by_country[country] for line in s.lines if line.text.strip()]
        assert len(lines) >= 10, country
    for country in ("Indonesia", "Peru", "Tunisia"):
        # Their stories have sub-headings ("1. Ship maintenance sector", "2. The Ministry of Labor", ...).
        assert len(by_country[country]) >= 3, country
    assert {s.region for s in by_country["Indonesia"]} == {"Asia"}
    assert {s.region for s in by_country["Peru"]} == {"Latin America"}


def test_printed_annual_update_loses_chromiums_header_and_footer(annual_update, annual_update_pdf):
    document, _ = annual_update
    assert document.page_count and document.page_count > 10
    texts = [line.text for line in document.lines]
    assert not [t for t in texts if "file:" in t.lower() or annual_update_pdf.stem + ".html" in t]
    assert not [t for t in texts if CHROMIUM_DATE.search(t)]
    assert not [t for t in texts if re.fullmatch(r"\s*\d+\s*/\s*\d+\s*", t)]
    assert {line.page for line in document.lines} == set(range(1, document.page_count + 1))


def test_printed_annual_update_headings_are_recognised(annual_update):
    document, _ = annual_update
    headings = {text.lstrip("►▶ ") for _, _, text in _headings(document)}
    assert "Highlights and Success Stories" in headings
    assert {"Africa", "Asia", "Europe and Central Asia", "Latin America", "Middle East"} <= headings
    assert {"Indonesia", "Peru", "Tunisia", "Myanmar", "Ghana", "Egypt"} <= headings
    levels = {text.lstrip("►▶ "): level for _, level, text in _headings(document)}
    # Printed as h3 and h4 in the Markdown: larger type ranks higher.
    assert levels["Africa"] < levels["Egypt"]


def test_chromium_absence_is_explained(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ChromiumMissing, match="Chromium is needed"):
        find_chromium()
