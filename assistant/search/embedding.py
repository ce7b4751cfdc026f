"""Embeddings: the sentence-transformers model (offline), batched encoding, and the vector cache.

Owns loading the model once (by local path for the bundled default), turning texts into
L2-normalised float32 vectors, and the cache keyed by (model, text hash) that lets a rebuild skip
texts it has embedded before. The cache is a table in a SQLite connection the caller provides.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Sequence

import numpy as np

from assistant.config import Settings, offline_mode

ProgressFactory = Callable[[int, str], "Progress"]


class Progress:
    """The small interface a progress bar must offer (tqdm does)."""

    def update(self, n: int) -> None:  # pragma: no cover - protocol
        ...

    def close(self) -> None:  # pragma: no cover - protocol
        ...


class ModelLoadError(RuntimeError):
    """The embedding model could not be loaded from disk."""


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Embedder:
    """A sentence-transformers model loaded once; encodes texts to normalised vectors."""

    def __init__(self, settings: Settings) -> None:
        offline_mode()
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()

        self.label = settings.index.model_label()
        self.batch_size = settings.index.embedding_batch_size
        location = settings.index.resolved_model()
        try:
            self.model = SentenceTransformer(location, device="cpu")
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load embedding model {settings.index.embedding_model!r} from {location!r} offline: {exc}. "
                "Give a local path or the name of a model already in the local cache (SCORE_EMBEDDING_MODEL)."
            ) from exc
        dimension = self.model.get_embedding_dimension() if hasattr(
            self.model, "get_embedding_dimension"
        ) else self.model.get_sentence_embedding_dimension()
        self.dimension = int(dimension)

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text, encoded in batches."""
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            batch = list(texts[start : start + self.batch_size])
            vectors = self.model.encode(
                batch, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )
            rows.append(np.asarray(vectors, dtype=np.float32))
            if progress is not None:
                progress.update(len(batch))
        if not rows:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.vstack(rows)

    def encode_query(self, text: str) -> np.ndarray:
        vector = self.model.encode([text], normalize_embeddings=True, show_progress_bar=False)
        return np.asarray(vector, dtype=np.float32)[0]


class EmbeddingCache:
    """Vectors keyed by (model label, sha256 of text) in a SQLite table."""

    SCHEMA = (
        "CREATE TABLE IF NOT EXISTS embeddings ("
        "model TEXT NOT NULL, text_hash TEXT NOT NULL, dim INTEGER NOT NULL, vector BLOB NOT NULL, "
        "PRIMARY KEY (model, text_hash))"
    )

    def __init__(self, connection: sqlite3.Connection, model_label: str) -> None:
        self.connection = connection
        self.model_label = model_label
        connection.execute(self.SCHEMA)

    def get_many(self, hashes: Sequence[str]) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        unique = list(dict.fromkeys(hashes))
        for start in range(0, len(unique), 500):
            part = unique[start : start + 500]
            marks = ",".join("?" * len(part))
            rows = self.connection.execute(
                f"SELECT text_hash, vector FROM embeddings WHERE model = ? AND text_hash IN ({marks})",
                [self.model_label, *part],
            )
            for key, blob in rows:
                found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, items: dict[str, np.ndarray]) -> None:
        self.connection.executemany(
            "INSERT OR REPLACE INTO embeddings (model, text_hash, dim, vector) VALUES (?, ?, ?, ?)",
            [(self.model_label, key, int(v.shape[0]), v.astype(np.float32).tobytes()) for key, v in items.items()],
        )


def embed_with_cache(
    texts: Sequence[str],
    embedder: Embedder,
    cache: EmbeddingCache,
    progress_factory: ProgressFactory | None = None,
    description: str = "Embedding",
) -> tuple[np.ndarray, int]:
    """Vectors for texts, computing only those the cache lacks. Returns (vectors, newly embedded count)."""
    hashes = [text_hash(t) for t in texts]
    cached = cache.get_many(hashes)
    missing = [i for i, key in enumerate(hashes) if key not in cached]
    missing_unique = list({hashes[i]: i for i in missing}.values())
    if missing_unique:
        progress = progress_factory(len(missing_unique), description) if progress_factory else None
        vectors = embedder.encode([texts[i] for i in missing_unique], progress)
        if progress is not None:
            progress.close()
        fresh = {hashes[i]: vectors[row] for row, i in enumerate(missing_unique)}
        cache.put_many(fresh)
        cached.update(fresh)
    matrix = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for row, key in enumerate(hashes):
        matrix[row] = cached[key]
    return matrix, len(missing_unique)
