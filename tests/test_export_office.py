"""A DOCX handout opens in an office suite: LibreOffice converts it to PDF, the PDF holds the quotes,
the facilitator's note and the credit line, and its first page is saved as an image to
``tests/artifacts/handout-page.png`` (rasterised by poppler's ``pdftoppm``).

Needs the Debian packages ``libreoffice-writer`` and ``poppler-utils``. Skipped when ``soffice`` is
absent, unless ``SCORE_REQUIRE_OFFICE`` is set (CI sets it): then a missing suite fails the test.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from assistant.export.attribution import credit_line
from assistant.export.handouts import handout_from_answer
from assistant.export.render import render, safe_filename
from tests.conftest import ROOT

ARTIFACT = ROOT / "tests" / "artifacts" / "handout-page.png"
NOTE = "Ask the group { DDE \"cmd\" } <script>: who paid in your country?"


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        if os.environ.get("SCORE_REQUIRE_OFFICE"):
            pytest.fail(f"{name} is missing and SCORE_REQUIRE_OFFICE is set (apt-get install libreoffice-writer "
                        "poppler-utils)")
        pytest.skip(f"{name} is not installed (Debian: libreoffice-writer, poppler-utils)")
    return found


def test_a_docx_handout_converts_to_pdf_and_a_page_image(bundled_assistant, tmp_path: Path):
    soffice, pdftoppm = _tool("soffice"), _tool("pdftoppm")
    index = bundled_assistant.index
    answer = bundled_assistant.ask("How did other countries cover the cost of SCORE training?")
    handout = handout_from_answer(answer, index)
    handout.items[0].note = NOTE
    docx = tmp_path / safe_filename(handout.title, "docx")
    docx.write_bytes(render(handout, index.documents, "docx"))
    profile = (tmp_path / "profile").as_uri()  # a profile of its own: no clash with a running LibreOffice
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path),
         str(docx)],
        check=True, capture_output=True, timeout=180,
    )
    pdf = docx.with_suffix(".pdf")
    assert pdf.is_file() and pdf.stat().st_size > 0
    text = " ".join(" ".join(page.extract_text() or "" for page in PdfReader(pdf).pages).split())
    quotes = [excerpt.text for item in handout.items for excerpt in item.excerpts]
    assert all(" ".join(quote.split())[:60] in text for quote in quotes)
    assert NOTE in text and "Sources" in text
    assert " ".join(credit_line(index.documents[answer.citations[0].doc_id]).split())[:80] in text
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    stem = tmp_path / "page"
    subprocess.run([pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
                   check=True, capture_output=True, timeout=60)
    shutil.copyfile(stem.with_suffix(".png"), ARTIFACT)
    assert ARTIFACT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
