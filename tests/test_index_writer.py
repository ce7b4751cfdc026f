"""The streamed index build and the embedding backends: what is written window by window is what
embedding each text alone gives, in index order; the ONNX export answers like PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.config import Settings
from assistant.ingest.build import ingest
from assistant.search.embedding import Embedder
from assistant.search.index import embedding_text, load_index
from tests.builders import SMALL_CATALOG, SMALL_UPDATE
from tests.conftest import fresh_settings

LONG = " ".join(f"Enterprise {n} cut its energy use by {n} percent after the SCORE module." for n in range(80))


@pytest.fixture(scope="module")
def torch_embedder() -> Embedder:
    return Embedder(Settings().replace(index={"embedding_backend": "torch"}))


def test_a_build_streamed_in_small_windows_holds_every_vector_in_index_order(tmp_path, embedder, monkeypatch):
    # Two chunks per window: the small corpus crosses many window boundaries, sentences included.
    monkeypatch.setattr("assistant.search.writer.WINDOW_CHUNKS", 2)
    settings = fresh_settings(tmp_path)
    (settings.corpus_dir / "mini-update.md").write_text(SMALL_UPDATE, encoding="utf-8")
    (settings.corpus_dir / "catalog.toml").write_text(SMALL_CATALOG, encoding="utf-8")
    stats = ingest(settings, embedder=embedder).stats
    index = load_index(settings, embedder.dimension)
    assert stats.chunks == len(index.chunks) > 4 and stats.sentences == len(index.sentences)
    title = next(iter(index.documents.values())).title
    chunk_vectors = index.dense.reconstruct_n(0, index.dense.ntotal)
    for row, chunk in enumerate(index.chunks):
        assert np.abs(chunk_vectors[row] - embedder.encode_query(embedding_text(title, chunk))).max() < 1e-5
    assert [s.chunk_id for s in index.sentences] == [
        c.chunk_id for c in index.chunks for _ in range(len(index.sentences_of(c.chunk_id)))
    ]
    for row, sentence in enumerate(index.sentences):
        assert np.abs(index.sentence_vectors[row] - embedder.encode_query(sentence.text)).max() < 1e-5


def test_sentence_vectors_are_mapped_read_only(small_settings, embedder):
    index = load_index(small_settings, embedder.dimension)
    assert not index.sentence_vectors.flags.writeable
    assert index.sentence_vectors.shape == (len(index.sentences), embedder.dimension)


def test_batches_sorted_by_length_come_back_in_the_order_given(embedder):
    texts = [LONG, "Ghana", "Women employees handled complaints in six factories.", LONG[:300], "x"]
    together = embedder.encode(texts)
    alone = np.vstack([embedder.encode_query(t) for t in texts])
    assert np.abs(together - alone).max() < 1e-5
    assert embedder.encode([]).shape == (0, embedder.dimension)


def test_the_onnx_export_gives_the_vectors_pytorch_gives(embedder, torch_embedder):
    assert embedder.backend == "onnx" and torch_embedder.backend == "torch"
    # A long text checks truncation at the model's own 256 tokens, not the tokenizer file's 128.
    texts = [LONG, "How did SCORE trainers in Africa market the training?", "Ghana", "é ü 中文 — ✓"]
    difference = np.abs(embedder.encode(texts) - torch_embedder.encode(texts)).max()
    assert difference < 1e-5
    assert np.abs(embedder.encode_query(texts[1]) - torch_embedder.encode_query(texts[1])).max() < 1e-5


def test_the_export_is_made_once_and_reused(embedder):
    folder = Settings().index_dir / "models"  # where the session's embedder exported the bundled model
    exports = [p for p in folder.iterdir() if (p / "model.onnx").is_file()]
    stamps = {p: (p / "model.onnx").stat().st_mtime_ns for p in exports}
    again = Embedder(Settings())
    assert {p: (p / "model.onnx").stat().st_mtime_ns for p in exports} == stamps
    assert np.abs(again.encode_query("energy") - embedder.encode_query("energy")).max() == 0.0


def test_chunks_of_a_long_section_point_at_their_lines(tmp_path):
    from assistant.ingest.chunking import chunk_document
    from assistant.ingest.sources import load_document

    # One section: a line longer than several chunks (its chunks begin inside it), then many short lines.
    lines = ["1. Energy savings", "", LONG * 2, *(f"Factory {n} saved {n} kWh in its first month." for n in range(300))]
    path = tmp_path / "long.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    chunks = chunk_document(load_document(path), 900, 150)
    assert len(chunks) > 20
    for chunk in chunks:
        body = chunk.text.splitlines()
        assert body[0] in lines[chunk.line_start - 1] and body[-1] in lines[chunk.line_end - 1], chunk.ordinal
