"""Tokenizing: the one tokenizer used for chunks, sentences and queries alike.

Lower-case, English stop words, Snowball stemming (bm25s + PyStemmer), so a query and the index
always agree on what a term is. Safe to call from several threads at once: each thread stems with
its own stemmer, because a PyStemmer ``Stemmer`` is not thread-safe.
"""

from __future__ import annotations

import threading

import bm25s
import Stemmer

_local = threading.local()


def _stemmer() -> Stemmer.Stemmer:
    """This thread's stemmer, made on its first use (a few microseconds, a small cache each)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def tokenize(texts: list[str]) -> list[list[str]]:
    """Stemmed, stop-word-free tokens of each text."""
    result = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(tokens) for tokens in result]
