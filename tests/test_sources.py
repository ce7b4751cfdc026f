"""Every kind of bad file is refused with its name and a reason a person can act on."""

from pathlib import Path

import pytest

from assistant.ingest.sources import SourceError, load_document
from tests.builders import MANUAL_PAGES, write_blank_pdf, write_encrypted_pdf, write_pdf


def _reason(path: Path) -> str:
    with pytest.raises(SourceError) as caught:
        load_document(path)
    assert caught.value.path.name == path.name
    assert path.name in str(caught.value)
    return caught.value.reason


def test_corrupt_pdf(tmp_path):
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.4\n1 0 obj <</Type /Catalog>> garbage without xref\n")
    assert "not a readable PDF" in _reason(path)


def test_encrypted_pdf(tmp_path):
    assert "encrypted" in _reason(write_encrypted_pdf(tmp_path / "locked.pdf"))


def test_scanned_pdf_without_text_layer(tmp_path):
    assert "no text layer" in _reason(write_blank_pdf(tmp_path / "scan.pdf"))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.md"
    path.write_bytes(b"")
    assert _reason(path) == "file is empty"


def test_whitespace_only_file(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("   \n\n  ", encoding="utf-8")
    assert "no text" in _reason(path)


def test_unsupported_extension(tmp_path):
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04 not really a docx")
    reason = _reason(path)
    assert "unsupported file type '.docx'" in reason and ".pdf" in reason


def test_non_utf8_text(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Coopération en entreprise".encode("latin-1"))
    assert "not UTF-8" in _reason(path)


def test_missing_path(tmp_path):
    assert "no such file" in _reason(tmp_path / "nowhere.md")


def test_pdf_pages_and_headings_are_kept(tmp_path):
    document = load_document(write_pdf(tmp_path / "manual.pdf", MANUAL_PAGES, title="Energy Manual"))
    assert document.page_count == 3
    assert document.meta.title == "Energy Manual"
    headings = [(line.page, line.text) for line in document.lines if line.heading_level]
    assert (2, "2. Measuring Electricity Use") in headings
    assert (3, "3. Kenya Case Study") in headings
    sub_meter = [line for line in document.lines if "sub-meter" in line.text]
    assert sub_meter and sub_meter[0].page == 2


def test_file_without_catalog_entry_gets_derived_metadata(tmp_path):
    path = tmp_path / "field-notes-2025.md"
    path.write_text("# Field notes from Ghana\n\nTrainers met 12 owners in Kumasi.\n", encoding="utf-8")
    meta = load_document(path).meta
    assert meta.title == "Field notes from Ghana"
    assert meta.doc_id == "field-notes-2025"
    assert meta.year == 2025
    assert meta.license is None
