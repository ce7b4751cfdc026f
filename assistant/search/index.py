"""The index on disk: building it aside and swapping it in atomically, and loading it for queries.

Owns the layout of ``index/`` (``current`` symlink → ``build-*/`` holding ``manifest.json``,
``dense.faiss``, ``lexical/``, ``sentences.npy`` and ``chunks.sqlite``), the embedding context header,
and the manifest checks on load. A build that fails leaves the previous index untouched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import time
import uuid
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from assistant import __version__
from assistant.config import Settings
from assistant.models import Chunk, Document, DocumentMeta, Sentence
from assistant.search.embedding import Embedder, EmbeddingCache, ProgressFactory, embed_with_cache
from assistant.search.lexical import LexicalIndex
from assistant.search.terms import SentenceTerms
from assistant.text.sentences import sentences_of

FORMAT_VERSION = 1
CURRENT = "current"
MANIFEST = "manifest.json"


class IndexProblem(RuntimeError):
    """The index is missing or does not fit the settings; the message says what to do."""


def context_header(title: str, heading_path: list[str]) -> str:
    """What is embedded before a chunk's text, so a passage is found by its place in the document."""
    return f"{title}\n{' > '.join(heading_path)}"


def embedding_text(title: str, chunk: Chunk) -> str:
    return f"{context_header(title, chunk.heading_path)}\n\n{chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    return f"{' > '.join(chunk.heading_path)}\n{chunk.text}"


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


def chunker_settings(settings: Settings) -> dict[str, int]:
    """The chunking settings a build records in its manifest (a change makes the index stale)."""
    return {"chunk_size": settings.index.chunk_size, "chunk_overlap": settings.index.chunk_overlap}


def current_path(index_dir: Path) -> Path:
    return index_dir / CURRENT


def read_manifest(index_dir: Path) -> dict | None:
    path = current_path(index_dir) / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


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
    # Loaded indexes live in memory, so older builds can go as soon as the link points past them.
    for stale in index_dir.glob("build-*"):
        if stale.is_dir() and stale.resolve() != build.resolve():
            shutil.rmtree(stale, ignore_errors=True)


def build_index(
    documents: list[tuple[Document, list[Chunk]]],
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


def _write_build(
    build: Path,
    documents: list[tuple[Document, list[Chunk]]],
    settings: Settings,
    embedder: Embedder,
    progress_factory: ProgressFactory | None,
    sources: list[str],
    failed: dict[str, str],
) -> BuildStats:
    connection = sqlite3.connect(build / "chunks.sqlite")
    try:
        connection.executescript(_SCHEMA)
        cache = EmbeddingCache(connection, embedder.label)
        previous = current_path(settings.index_dir)
        if previous.exists():
            _copy_cache(previous.resolve(), connection)

        chunks: list[Chunk] = []
        texts: list[str] = []
        for document, doc_chunks in documents:
            connection.execute(
                "INSERT INTO documents VALUES (?, ?)", (document.meta.doc_id, document.meta.model_dump_json())
            )
            for chunk in doc_chunks:
                chunks.append(chunk)
                texts.append(embedding_text(document.meta.title, chunk))
        if not chunks:
            raise IndexProblem("nothing to index: no document produced any text")
        sentences = [s for chunk in chunks for s in sentences_of(chunk)]

        chunk_vectors, new_chunks = embed_with_cache(texts, embedder, cache, progress_factory, "Embedding chunks")
        sentence_vectors, new_sentences = embed_with_cache(
            [s.text for s in sentences], embedder, cache, progress_factory, "Embedding sentences"
        )

        connection.executemany(
            "INSERT INTO chunks VALUES (?, ?, ?, ?)",
            [(row, c.chunk_id, c.doc_id, c.model_dump_json()) for row, c in enumerate(chunks)],
        )
        connection.executemany(
            'INSERT INTO sentences (row, chunk_id, position, start, "end", text) VALUES (?, ?, ?, ?, ?, ?)',
            [(row, s.chunk_id, s.position, s.start, s.end, s.text) for row, s in enumerate(sentences)],
        )
        connection.commit()
    finally:
        connection.close()

    dense = faiss.IndexFlatIP(embedder.dimension)
    dense.add(chunk_vectors)
    faiss.write_index(dense, str(build / "dense.faiss"))
    np.save(build / "sentences.npy", sentence_vectors)
    LexicalIndex.build([lexical_text(c) for c in chunks]).save(build / "lexical")

    total_texts = len(texts) + len(sentences)
    manifest = {
        "format_version": FORMAT_VERSION,
        "code_version": __version__,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "model": {"name": embedder.label, "dimension": embedder.dimension, "normalized": True},
        "chunker": chunker_settings(settings),
        "documents": {
            d.meta.doc_id: {"file": d.meta.file_name, "sha256": d.meta.sha256, "chunks": len(cs)}
            for d, cs in documents
        },
        "sources": sources,
        "failed": failed,  # file name -> sha256 of files that could not be ingested, as they were
        "counts": {"documents": len(documents), "chunks": len(chunks), "sentences": len(sentences)},
    }
    (build / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    embedded = new_chunks + new_sentences
    return BuildStats(len(documents), len(chunks), len(sentences), embedded, total_texts - embedded, build)


@dataclass
class LoadedIndex:
    """Everything a query needs, held in memory: chunks, vectors, lexical index, sentences."""

    path: Path
    manifest: dict
    documents: dict[str, DocumentMeta]
    chunks: list[Chunk]
    dense: faiss.Index
    lexical: LexicalIndex
    sentences: list[Sentence]
    sentence_vectors: np.ndarray
    chunk_rows: dict[str, int] = field(default_factory=dict)
    sentence_rows: dict[str, list[int]] = field(default_factory=dict)

    sentence_chunk: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def __post_init__(self) -> None:
        self.chunk_rows = {c.chunk_id: row for row, c in enumerate(self.chunks)}
        for row, sentence in enumerate(self.sentences):
            self.sentence_rows.setdefault(sentence.chunk_id, []).append(row)
        # The chunk row of every sentence, for per-chunk maxima of sentence scores.
        self.sentence_chunk = np.array([self.chunk_rows[s.chunk_id] for s in self.sentences], dtype=np.int64)

    @cached_property
    def terms(self) -> SentenceTerms:
        """The stemmed terms of every sentence (built on first use)."""
        return SentenceTerms([s.text for s in self.sentences])

    @cached_property
    def countries(self) -> set[str]:
        """The countries that have passages of their own (a section about them)."""
        return {c.country for c in self.chunks if c.country}

    @cached_property
    def words(self) -> set[str]:
        """Every word (lower case) the indexed texts use, to tell a misspelling from a word of the documents."""
        return {word.lower() for chunk in self.chunks for word in re.findall(r"[^\W\d_]+", chunk.text)}

    def best_per_chunk(self, sentence_scores: np.ndarray, floor: float = -1.0) -> np.ndarray:
        """The highest score of any sentence of each chunk (``floor`` for a chunk without sentences)."""
        best = np.full(len(self.chunks), floor, dtype=np.float64)
        np.maximum.at(best, self.sentence_chunk, sentence_scores)
        return best

    def chunk(self, chunk_id: str) -> Chunk | None:
        row = self.chunk_rows.get(chunk_id)
        return None if row is None else self.chunks[row]

    def sentences_of(self, chunk_id: str) -> list[Sentence]:
        """The stored sentences of a chunk, in order (empty for an unknown id)."""
        return [self.sentences[row] for row in self.sentence_rows.get(chunk_id, [])]

    def section_chunks(self, chunk: Chunk) -> list[Chunk]:
        """All chunks of the chunk's section, in document order (the passage in its context)."""
        return [c for c in self.chunks if c.section_id == chunk.section_id and c.doc_id == chunk.doc_id]


def check_manifest(manifest: dict, settings: Settings, dimension: int | None = None) -> None:
    """Raise IndexProblem, saying what to do, when the index was built differently from the settings."""
    rebuild = "Run `score-assistant ingest --rebuild` to build it again."
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexProblem(
            f"the index format is {manifest.get('format_version')}, this version reads {FORMAT_VERSION}. {rebuild}"
        )
    built_with = manifest.get("model", {}).get("name")
    if built_with != settings.index.model_label():
        raise IndexProblem(
            f"the index was built with model {built_with!r} but SCORE_EMBEDDING_MODEL is "
            f"{settings.index.model_label()!r}. {rebuild} Or set SCORE_EMBEDDING_MODEL={built_with!r}."
        )
    if dimension is not None and manifest.get("model", {}).get("dimension") != dimension:
        raise IndexProblem(
            f"the index holds {manifest['model'].get('dimension')}-dimensional vectors but the model gives "
            f"{dimension}. {rebuild}"
        )


def load_index(settings: Settings, dimension: int | None = None) -> LoadedIndex:
    """Load the current index, checking its manifest against the settings."""
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        raise IndexProblem(
            f"no index in {settings.index_dir}/. Run `score-assistant ingest` to build it from "
            f"{settings.corpus_dir}/."
        )
    check_manifest(manifest, settings, dimension)
    path = current_path(settings.index_dir).resolve()
    connection = sqlite3.connect(f"file:{path / 'chunks.sqlite'}?mode=ro", uri=True)
    try:
        documents = {
            doc_id: DocumentMeta.model_validate_json(meta)
            for doc_id, meta in connection.execute("SELECT doc_id, meta FROM documents")
        }
        rows = connection.execute("SELECT data FROM chunks ORDER BY row")
        chunks = [Chunk.model_validate_json(data) for (data,) in rows]
        sentences = [
            Sentence(chunk_id=c, position=p, start=s, end=e, text=t)
            for c, p, s, e, t in connection.execute(
                'SELECT chunk_id, position, start, "end", text FROM sentences ORDER BY row'
            )
        ]
    finally:
        connection.close()
    return LoadedIndex(
        path=path,
        manifest=manifest,
        documents=documents,
        chunks=chunks,
        dense=faiss.read_index(str(path / "dense.faiss")),
        lexical=LexicalIndex.load(path / "lexical", len(chunks)),
        sentences=sentences,
        sentence_vectors=np.load(path / "sentences.npy"),
    )
