"""Writing an index build: chunks streamed through embedding into the files of a new build, then
swapped in atomically.

Owns the build's write path: the SQLite chunk store and embedding cache (carried over from the
previous build), chunk vectors added to FAISS and sentence vectors appended to ``sentences.npy`` a
window at a time, the BM25 index, a large build's candidate finders (``search.nearest``) and the
manifest; and the atomic swap of the ``current`` link.
What the files mean, and how they are loaded, is ``search.index``'s. A build that fails leaves the
previous index untouched.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from assistant import __version__
from assistant.config import Settings
from assistant.models import Chunk, DocumentMeta
from assistant.search.embedding import Embedder, EmbeddingCache, ProgressFactory, embed_with_cache
from assistant.search.index import (
    FORMAT_VERSION,
    MANIFEST,
    WHOLE_INDEX_CHUNKS,
    IndexProblem,
    chunker_settings,
    current_path,
    embedding_text,
    lexical_text,
)
from assistant.search.lexical import LexicalIndex
from assistant.search.nearest import CHUNK_FILE, SENTENCE_FILE, write_ivf
from assistant.text.sentences import sentences_of, split_sentences

# Chunks embedded per step, with their sentences: enough texts to batch by length, few enough to keep
# memory flat (about 256 chunk texts and 1,000 sentences, a few MB of vectors).
WINDOW_CHUNKS = 256


@dataclass
class BuildStats:
    documents: int
    chunks: int
    sentences: int
    embedded: int
    reused: int
    path: Path


_SCHEMA = """
CREATE TABLE documents (doc_id TEXT PRIMARY KEY, meta TEXT NOT NULL);
CREATE TABLE chunks (
    row INTEGER PRIMARY KEY, chunk_id TEXT UNIQUE NOT NULL, doc_id TEXT NOT NULL, data TEXT NOT NULL);
CREATE TABLE sentences (
    row INTEGER PRIMARY KEY, chunk_id TEXT NOT NULL, position INTEGER NOT NULL,
    start INTEGER NOT NULL, "end" INTEGER NOT NULL, text TEXT NOT NULL);
CREATE INDEX sentences_chunk ON sentences (chunk_id);
"""


def _copy_cache(previous: Path, connection: sqlite3.Connection) -> None:
    old = previous / "chunks.sqlite"
    if not old.is_file():
        return
    connection.execute("ATTACH DATABASE ? AS old", (str(old),))
    try:
        has_table = connection.execute(
            "SELECT 1 FROM old.sqlite_master WHERE type='table' AND name='embeddings'"
        ).fetchone()
        if has_table:
            connection.execute("INSERT OR IGNORE INTO embeddings SELECT * FROM old.embeddings")
        connection.commit()
    finally:
        connection.execute("DETACH DATABASE old")


def _swap_in(index_dir: Path, build: Path) -> None:
    link = current_path(index_dir)
    temporary = index_dir / f".current-{uuid.uuid4().hex[:8]}"
    os.symlink(build.name, temporary)
    os.replace(temporary, link)  # atomic on POSIX: readers see the old or the new build, never half
    # Loaded indexes hold their files in memory or mapped (a mapped file stays readable once deleted),
    # so older builds can go as soon as the link points past them.
    for stale in index_dir.glob("build-*"):
        if stale.is_dir() and stale.resolve() != build.resolve():
            shutil.rmtree(stale, ignore_errors=True)


def build_index(
    documents: list[tuple[DocumentMeta, list[Chunk]]],
    settings: Settings,
    embedder: Embedder,
    progress_factory: ProgressFactory | None = None,
    sources: list[str] | None = None,
    failed: dict[str, str] | None = None,
) -> BuildStats:
    """Write a complete new index beside the old one, then swap it in. Raises before the swap on failure."""
    index_dir = settings.index_dir
    index_dir.mkdir(parents=True, exist_ok=True)
    build = index_dir / f"build-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:6]}"
    build.mkdir()
    try:
        stats = _write_build(build, documents, settings, embedder, progress_factory, sources or [], failed or {})
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _swap_in(index_dir, build)
    return stats


def _windows(documents: list[tuple[DocumentMeta, list[Chunk]]]) -> Iterator[list[tuple[str, Chunk]]]:
    """(document title, chunk) pairs in index order, WINDOW_CHUNKS at a time."""
    window: list[tuple[str, Chunk]] = []
    for meta, chunks in documents:
        for chunk in chunks:
            window.append((meta.title, chunk))
            if len(window) == WINDOW_CHUNKS:
                yield window
                window = []
    if window:
        yield window


def _write_build(
    build: Path,
    documents: list[tuple[DocumentMeta, list[Chunk]]],
    settings: Settings,
    embedder: Embedder,
    progress_factory: ProgressFactory | None,
    sources: list[str],
    failed: dict[str, str],
) -> BuildStats:
    """Stream the chunks through embedding into the files of a build, a window at a time.

    Memory stays flat whatever the corpus size: chunk vectors go into the FAISS index and sentence
    vectors are appended to ``sentences.npy``; no list of every sentence, text or vector is held.
    A window's chunk texts and sentences are embedded together, sorted by length.
    """
    chunk_count = sum(len(chunks) for _, chunks in documents)
    if not chunk_count:
        raise IndexProblem("nothing to index: no document produced any text")
    # Counting first (splitting is cheap next to embedding) sizes the sentence matrix on disk up front.
    sentence_count = sum(len(split_sentences(c.text)) for _, chunks in documents for c in chunks)
    dense = faiss.IndexFlatIP(embedder.dimension)
    # Appended window by window after an .npy header: written pages go to the page cache, not to this
    # process's memory as a memory map's would.
    sentence_file = (build / "sentences.npy").open("wb")
    header = {"descr": "<f4", "fortran_order": False, "shape": (sentence_count, embedder.dimension)}
    np.lib.format.write_array_header_1_0(sentence_file, header)
    total_texts = chunk_count + sentence_count
    progress = progress_factory(total_texts, "Embedding chunks and sentences") if progress_factory else None
    connection = sqlite3.connect(build / "chunks.sqlite")
    embedded = chunk_row = sentence_row = 0
    try:
        connection.executescript(_SCHEMA)
        cache = EmbeddingCache(connection, embedder.label)
        previous = current_path(settings.index_dir)
        if previous.exists():
            _copy_cache(previous.resolve(), connection)
        connection.executemany(
            "INSERT INTO documents VALUES (?, ?)", [(meta.doc_id, meta.model_dump_json()) for meta, _ in documents]
        )
        for window in _windows(documents):
            sentences = [s for _, chunk in window for s in sentences_of(chunk)]
            texts = [embedding_text(title, chunk) for title, chunk in window] + [s.text for s in sentences]
            vectors, new = embed_with_cache(texts, embedder, cache, progress)
            embedded += new
            dense.add(vectors[: len(window)])
            sentence_file.write(np.ascontiguousarray(vectors[len(window) :], dtype="<f4").tobytes())
            connection.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?)",
                [(chunk_row + i, c.chunk_id, c.doc_id, c.model_dump_json()) for i, (_, c) in enumerate(window)],
            )
            connection.executemany(
                'INSERT INTO sentences (row, chunk_id, position, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
                [(sentence_row + i, s.chunk_id, s.position, s.start, s.end, s.text) for i, s in enumerate(sentences)],
            )
            chunk_row += len(window)
            sentence_row += len(sentences)
        connection.commit()
    finally:
        connection.close()
        sentence_file.close()
        if progress is not None:
            progress.close()
    faiss.write_index(dense, str(build / "dense.faiss"))
    LexicalIndex.build([lexical_text(c) for _, chunks in documents for c in chunks]).save(build / "lexical")
    if chunk_count > WHOLE_INDEX_CHUNKS:
        write_finders(build, dense)

    manifest = _manifest(documents, settings, embedder, sources, failed, chunk_count, sentence_count)
    (build / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return BuildStats(len(documents), chunk_count, sentence_count, embedded, total_texts - embedded, build)


def write_finders(build: Path, dense: faiss.IndexFlat) -> None:
    """The candidate finders of a large build, over its chunk vectors and its sentence vectors."""
    write_ivf(dense.reconstruct_n(0, dense.ntotal), build / CHUNK_FILE)
    write_ivf(np.load(build / "sentences.npy", mmap_mode="r"), build / SENTENCE_FILE)


def _manifest(
    documents: list[tuple[DocumentMeta, list[Chunk]]],
    settings: Settings,
    embedder: Embedder,
    sources: list[str],
    failed: dict[str, str],
    chunks: int,
    sentences: int,
) -> dict:
    """What a build records about itself; ``search.index`` checks it on load, ``ingest`` for staleness."""
    return {
        "format_version": FORMAT_VERSION,
        "code_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.label, "dimension": embedder.dimension, "normalized": True},
        "chunker": chunker_settings(settings),
        "documents": {
            meta.doc_id: {"file": meta.file_name, "sha256": meta.sha256, "catalog_sha256": meta.catalog_sha256,
                          "chunks": len(cs)}
            for meta, cs in documents
        },
        "sources": sources,
        "failed": failed,  # file name -> sha256 of files that could not be ingested, as they were
        "counts": {"documents": len(documents), "chunks": chunks, "sentences": sentences},
    }
