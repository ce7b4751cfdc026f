"""Approximate nearest neighbours: the candidate finders of a large index.

Owns the inverted-file FAISS indexes (IVF, 8-bit scalar-quantized vectors) that a large index keeps
beside its exact vectors, over chunk vectors (``dense-ivf.faiss``) and sentence vectors
(``sentences-ivf.faiss``): how they are built, saved and loaded, and how many lists a search visits.
They only *find* candidates; every score a ranking uses is computed exactly from the exact vectors.
A small index has none: every chunk is scored (``index.WHOLE_INDEX_CHUNKS``).
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np

CHUNK_FILE = "dense-ivf.faiss"
SENTENCE_FILE = "sentences-ivf.faiss"
# Lists visited per search: with about sqrt(n) lists of sqrt(n) vectors each, a search reads
# NPROBE * sqrt(n) vectors (about 3,500 of 200,000) instead of all of them.
NPROBE = 8
_TRAINING_PER_LIST = 40  # FAISS's own advice for k-means: 39+ training points per centroid
_BATCH = 50_000  # vectors added at a time, so a memory-mapped matrix is never copied whole


def build_ivf(vectors: np.ndarray, seed: int = 0) -> faiss.Index:
    """An inner-product IVF index (SQ8 codes) over the rows of ``vectors`` (read in batches)."""
    count, dimension = vectors.shape
    lists = max(1, int(math.sqrt(count)))
    quantizer = faiss.IndexFlatIP(dimension)
    ivf = faiss.IndexIVFScalarQuantizer(
        quantizer, dimension, lists, faiss.ScalarQuantizer.QT_8bit, faiss.METRIC_INNER_PRODUCT
    )
    sample = np.sort(np.random.default_rng(seed).choice(count, min(count, _TRAINING_PER_LIST * lists), replace=False))
    ivf.train(np.ascontiguousarray(vectors[sample], dtype=np.float32))
    for start in range(0, count, _BATCH):
        ivf.add(np.ascontiguousarray(vectors[start : start + _BATCH], dtype=np.float32))
    ivf.nprobe = NPROBE
    return ivf


def write_ivf(vectors: np.ndarray, path: Path) -> None:
    faiss.write_index(build_ivf(vectors), str(path))


def read_ivf(path: Path) -> faiss.Index | None:
    """The IVF index at ``path`` (with the search width set), or None when the build has none."""
    if not path.is_file():
        return None
    ivf = faiss.read_index(str(path))
    faiss.extract_index_ivf(ivf).nprobe = NPROBE
    return ivf


def nearest_rows(ann: faiss.Index, vector: np.ndarray, count: int) -> np.ndarray:
    """The rows of up to ``count`` nearest vectors to ``vector`` (approximate; unfound slots dropped)."""
    _, rows = ann.search(np.ascontiguousarray(vector[None, :], dtype=np.float32), count)
    return rows[0][rows[0] >= 0].astype(np.int64)
