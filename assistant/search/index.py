"""The index on disk: its layout, the manifest checks, and loading it for queries.

Owns the layout of ``index/`` (``current`` symlink → ``build-*/`` holding ``manifest.json``,
``dense.faiss``, ``lexical/``, ``sentences.npy`` and ``chunks.sqlite``; a large build also the
candidate finders of ``search.nearest``), the texts embedded and indexed for a chunk (context
header), the manifest checks on load, and the loaded index queries run on: the sentences of given
chunks, sentence cosines for given rows, the rows of each country. Writing a build and swapping it
in is ``search.writer``'s.
"""

from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import faiss
import numpy as np

from assistant.config import Settings
from assistant.models import Chunk, DocumentMeta, Sentence
from assistant.search.lexical import LexicalIndex
from assistant.search.nearest import CHUNK_FILE, SENTENCE_FILE, read_ivf
from assistant.search.terms import SentenceTerms

FORMAT_VERSION = 1
CURRENT = "current"
MANIFEST = "manifest.json"
# Up to this many chunks a question scores every chunk and every sentence (under a few milliseconds,
# and exactly as ranked when the weights were fitted); a larger index scores the candidates its
# nearest-neighbour and BM25 searches find (``search.candidates``).
WHOLE_INDEX_CHUNKS = 2_000


class IndexProblem(RuntimeError):
    """The index is missing or does not fit the settings; the message says what to do."""


def context_header(title: str, heading_path: list[str]) -> str:
    """What is embedded before a chunk's text, so a passage is found by its place in the document."""
    return f"{title}\n{' > '.join(heading_path)}"


def embedding_text(title: str, chunk: Chunk) -> str:
    return f"{context_header(title, chunk.heading_path)}\n\n{chunk.text}"


def lexical_text(chunk: Chunk) -> str:
    return f"{' > '.join(chunk.heading_path)}\n{chunk.text}"


def chunker_settings(settings: Settings) -> dict[str, int]:
    """The chunking settings a build records in its manifest (a change makes the index stale)."""
    return {"chunk_size": settings.index.chunk_size, "chunk_overlap": settings.index.chunk_overlap}


def current_path(index_dir: Path) -> Path:
    return index_dir / CURRENT


def read_manifest(index_dir: Path) -> dict | None:
    return _manifest_of(current_path(index_dir))


def _manifest_of(build: Path) -> dict | None:
    path = build / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


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
    chunk_ann: faiss.Index | None = None  # candidate finders of a large build (``search.nearest``)
    sentence_ann: faiss.Index | None = None

    def __post_init__(self) -> None:
        self.chunk_rows = {c.chunk_id: row for row, c in enumerate(self.chunks)}
        for row, sentence in enumerate(self.sentences):
            self.sentence_rows.setdefault(sentence.chunk_id, []).append(row)
        # The chunk row of every sentence, for per-chunk maxima of sentence scores and sentence candidates.
        self.sentence_chunk = np.array([self.chunk_rows[s.chunk_id] for s in self.sentences], dtype=np.int64)
        # Sentence rows grouped by chunk: chunk c's sentences are _by_chunk[_starts[c]:_starts[c + 1]].
        self._by_chunk = np.argsort(self.sentence_chunk, kind="stable")
        self._starts = np.searchsorted(self.sentence_chunk[self._by_chunk], np.arange(len(self.chunks) + 1))

    @property
    def scored_whole(self) -> bool:
        """Whether a question scores every chunk (a small index) rather than found candidates."""
        return len(self.chunks) <= WHOLE_INDEX_CHUNKS

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

    def sentences_of_rows(self, chunk_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The sentence rows of the given chunk rows, and for each the position of its chunk in ``chunk_rows``."""
        starts, ends = self._starts[chunk_rows], self._starts[np.asarray(chunk_rows) + 1]
        counts = ends - starts
        owners = np.repeat(np.arange(len(chunk_rows)), counts)
        offsets = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        return self._by_chunk[np.repeat(starts, counts) + offsets], owners

    def sentence_similarities(self, vector: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """The cosine of ``vector`` with the sentences ``rows`` (every sentence when None).

        A small index takes them from one product over every sentence, as its weights were fitted on
        (a product over a subset may round the last bit differently); a large one reads only ``rows``,
        with ``einsum``, which runs on the calling thread (``@`` wakes BLAS threads, milliseconds on a
        busy machine)."""
        if rows is None or self.scored_whole:
            every = self.sentence_vectors @ vector
            return every if rows is None else every[rows]
        return np.einsum("ij,j->i", self.sentence_vectors[rows], vector.astype(np.float32, copy=False))

    @cached_property
    def country_rows(self) -> dict[str, np.ndarray]:
        """The chunk rows about each country."""
        found: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            if chunk.country:
                found.setdefault(chunk.country, []).append(row)
        return {country: np.array(rows, dtype=np.int64) for country, rows in found.items()}

    @cached_property
    def region_rows(self) -> dict[str, np.ndarray]:
        """The chunk rows in each region."""
        found: dict[str, list[int]] = {}
        for row, chunk in enumerate(self.chunks):
            found.setdefault(chunk.region, []).append(row)
        return {region: np.array(rows, dtype=np.int64) for region, rows in found.items()}

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
    """Load the current index, checking its manifest against the settings.

    The ``current`` link is resolved once, first: every file is then read from that one build, even
    when ``ingest`` swaps the link to a newer build meanwhile."""
    path = current_path(settings.index_dir).resolve()
    manifest = _manifest_of(path)
    if manifest is None:
        raise IndexProblem(
            f"no index in {settings.index_dir}/. Run `score-assistant ingest` to build it from "
            f"{settings.corpus_dir}/."
        )
    check_manifest(manifest, settings, dimension)
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
        # Mapped, not read: the page cache holds the vectors once for every worker process of a machine.
        sentence_vectors=np.asarray(np.load(path / "sentences.npy", mmap_mode="r")),
        chunk_ann=read_ivf(path / CHUNK_FILE),
        sentence_ann=read_ivf(path / SENTENCE_FILE),
    )
