"""Embeddings: the sentence-transformers model (offline), its backend, batched encoding, and the vector cache.

Owns loading the model once (by local path for the bundled default) and running it with the
settings' backend — PyTorch, or its ONNX export (``search.onnx_model``, made from the local model
the first time it is needed, kept under ``index/models/``) — turning texts into L2-normalised
float32 vectors in batches of similar length, and the cache keyed by (model, text hash) that lets
a rebuild skip texts it has embedded before. The cache is a table in a SQLite connection the caller
provides.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from typing import Any

import numpy as np

from assistant.config import Settings, offline_mode
from assistant.search.onnx_model import OnnxEncoder, export, export_folder, is_exported

MODELS_DIR = "models"  # under the index folder: the ONNX exports, one folder per model
_SENTENCE_CHARS = 250  # a long sentence: the unit of a batch's character budget

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


def load_sentence_transformer(settings: Settings) -> Any:
    """The settings' sentence-transformers model on the CPU, from local files only."""
    offline_mode()
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    location = settings.index.resolved_model()
    try:
        return SentenceTransformer(location, device="cpu")
    except (OSError, ValueError) as exc:
        raise ModelLoadError(
            f"cannot load embedding model {settings.index.embedding_model!r} from {location!r} offline: {exc}. "
            "Give a local path or the name of a model already in the local cache (SCORE_EMBEDDING_MODEL)."
        ) from exc


def _onnx_encoder(settings: Settings) -> OnnxEncoder:
    """The model's ONNX export under ``index/models/``, made from the local model the first time."""
    folder = export_folder(settings.index_dir / MODELS_DIR, settings.index.resolved_model())
    if not is_exported(folder):
        model = load_sentence_transformer(settings)
        try:
            export(model, folder)
        except Exception as exc:  # whatever the tracer refuses, the message says how to go on
            raise ModelLoadError(
                f"cannot export embedding model {settings.index.embedding_model!r} to ONNX: {exc}. "
                "Set SCORE_EMBEDDING_BACKEND=torch to run it with PyTorch."
            ) from exc
    return OnnxEncoder(folder, threads=settings.query_threads)


class Embedder:
    """The embedding model loaded once, run by the settings' backend; encodes texts to normalised vectors."""

    def __init__(self, settings: Settings) -> None:
        offline_mode()
        self.label = settings.index.model_label()
        self.batch_size = settings.index.embedding_batch_size
        self.backend = settings.index.embedding_backend
        if self.backend == "onnx":
            encoder = _onnx_encoder(settings)
            self.dimension = encoder.dimension
            self._encode_batch: Callable[[list[str]], np.ndarray] = encoder.encode
        else:
            model = load_sentence_transformer(settings)
            # sentence-transformers renamed the method in 5.x; both are supported by pyproject's range.
            dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self.dimension = int(dimension())
            self._encode_batch = partial(
                model.encode, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False
            )

    def encode(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        """Normalised float32 vectors, one row per text, encoded in batches of texts of similar length.

        Sorting by length first means a batch is padded to its own longest text, not to the longest of
        a random mix: on chunks and sentences together that halves the tokens the model runs over.
        """
        result = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        for rows in self._batches(order, texts):
            result[rows] = np.asarray(self._encode_batch([texts[i] for i in rows]), dtype=np.float32)
            if progress is not None:
                progress.update(len(rows))
        return result

    def _batches(self, order: list[int], texts: Sequence[str]) -> Iterator[list[int]]:
        """Rows in ``order`` (longest text first), ``batch_size`` at most and fewer when the texts are long.

        A batch's activations grow with its size times its longest text squared (attention): 32 whole
        chunks took 1 GB in onnxruntime, so a batch also holds at most ``batch_size`` sentence-sized
        texts' worth of characters — 32 sentences, or 8 chunks.
        """
        budget = self.batch_size * _SENTENCE_CHARS
        start = 0
        while start < len(order):
            longest = max(len(texts[order[start]]), 1)
            size = max(1, min(self.batch_size, budget // longest))
            yield order[start : start + size]
            start += size

    def encode_query(self, text: str) -> np.ndarray:
        return np.asarray(self._encode_batch([text]), dtype=np.float32)[0]


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
    texts: Sequence[str], embedder: Embedder, cache: EmbeddingCache, progress: Progress | None = None
) -> tuple[np.ndarray, int]:
    """Vectors for texts, computing only those the cache lacks (and each distinct text once), storing
    the new ones in the cache. Returns (vectors, newly embedded count); ``progress`` advances per text."""
    hashes = [text_hash(t) for t in texts]
    found = cache.get_many(hashes)
    missing = list({key: i for i, key in enumerate(hashes) if key not in found}.values())
    if progress is not None:
        progress.update(len(texts) - len(missing))
    if missing:
        vectors = embedder.encode([texts[i] for i in missing], progress)
        fresh = {hashes[i]: vectors[row] for row, i in enumerate(missing)}
        cache.put_many(fresh)
        found.update(fresh)
    matrix = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    for row, key in enumerate(hashes):
        matrix[row] = found[key]
    return matrix, len(missing)
