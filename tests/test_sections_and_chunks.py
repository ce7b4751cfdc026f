"""Heading repair and chunking on the bundled (converted, messy) annual update."""

from pathlib import Path

import pytest

from assistant.ingest.chunking import chunk_document, clean_line
from assistant.ingest.sources import load_document
from assistant.text.headings import clean_heading
from assistant.text.vocabulary import canonical_module, modules_in

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "corpus" / "score-annual-update-2023-24.md"


@pytest.fixture(scope="module")
def seed_chunks():
    document = load_document(SEED)
    return document, chunk_document(document, 900, 150)


def _chunks_containing(chunks, needle):
    found = [c for c in chunks if needle in c.text]
    assert found, needle
    return found


def test_catalog_metadata_and_attribution(seed_chunks):
    document, _ = seed_chunks
    assert document.meta.title.startswith("SCORE Annual Update 2023-24")
    assert document.meta.license == "CC BY 4.0"
    assert "© ILO" in document.meta.attribution
    assert len(document.meta.sha256) == 64


def test_peru_subsections_at_a_higher_level_stay_in_peru(seed_chunks):
    _, chunks = seed_chunks
    for needle in ("Sectoral Strategy for Labor Formalization", "financed 100% of the intervention"):
        for chunk in _chunks_containing(chunks, needle):
            assert chunk.country == "Peru"
            assert chunk.region == "Latin America"
            assert chunk.heading_path[-3:-1] == ["Latin America", "Peru"]


def test_countries_at_inconsistent_levels_get_their_region(seed_chunks):
    _, chunks = seed_chunks
    expectations = {
        "USAID-funded": ("Egypt", "Africa"),
        "6,552 workers and managers": ("Ethiopia", "Africa"),
        "95% cost recovery": ("Tunisia", "Africa"),
        "BDT 19,500": ("Bangladesh", "Asia"),
        "at least 19 enterprises": ("Myanmar", "Asia"),
        "38 TCLF enterprises": ("Albania", "Europe and Central Asia"),
        "92% of them": ("Kyrgyzstan", "Europe and Central Asia"),
        "SENAI": ("Brazil", "Latin America"),
        "2400 JOD": ("Jordan", "Middle East"),
    }
    for needle, (country, region) in expectations.items():
        for chunk in _chunks_containing(chunks, needle):
            assert (chunk.country, chunk.region) == (country, region), needle


def test_global_sections_are_global(seed_chunks):
    _, chunks = seed_chunks
    for chunk in _chunks_containing(chunks, "more than 5,600 enterprises"):
        assert chunk.country is None and chunk.region == "global"
        assert "Message from the Global SCORE Team" in chunk.heading_path
    for chunk in _chunks_containing(chunks, "Arabic, Dutch, Russian and Spanish"):
        assert chunk.region == "global"


def test_photo_captions_do_not_open_sections(seed_chunks):
    _, chunks = seed_chunks
    assert not any(h.startswith("►") or h.startswith("Provision of") for c in chunks for h in c.heading_path)


def test_chunk_spans_point_at_the_text_in_the_file(seed_chunks):
    document, chunks = seed_chunks
    # The text each line of the file contributes to a chunk: markup removed, captions without their marks.
    shown = {
        line.line_no: clean_line(clean_heading(line.text) if line.heading_level else line.text)
        for line in document.lines
    }
    for chunk in chunks:
        assert chunk.line_start <= chunk.line_end
        window = [" ".join(shown[n].split()) for n in range(chunk.line_start, chunk.line_end + 1)]
        # Every line of the chunk lies, in order, in the lines its span names (headings between are skipped);
        # the first line of the chunk is in the span's first line and its last in the last.
        position = 0
        for part in (" ".join(p.split()) for p in chunk.text.splitlines() if p.strip()):
            while position < len(window) and part not in window[position]:
                position += 1
            assert position < len(window), (chunk.chunk_id, part)
        assert " ".join(chunk.text.splitlines()[0].split()) in window[0], chunk.chunk_id
        assert position == len(window) - 1, chunk.chunk_id


def test_chunk_ids_are_stable_and_unique(seed_chunks):
    document, chunks = seed_chunks
    again = chunk_document(load_document(SEED), 900, 150)
    assert [c.chunk_id for c in chunks] == [c.chunk_id for c in again]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    assert all(len(c.text) <= 900 for c in chunks)


def test_modules_are_tagged_with_canonical_names():
    assert modules_in("delivering the Workplace Cooperation and OSH module") == [
        "Workplace Cooperation",
        "Occupational Safety and Health",
    ]
    assert modules_in("the SCORE HoCo module in 21 enterprises") == ["Hospitality Coaching (HoCo)"]
    assert modules_in("replaces the former module on Resource Efficiency and Cleaner Production") == [
        "SCORE4Climate"
    ]
    assert canonical_module("osh") == "Occupational Safety and Health"
    assert canonical_module("workplace cooperation") == "Workplace Cooperation"
    assert canonical_module("basket weaving") is None
