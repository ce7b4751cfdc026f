"""Tokenizing: the one tokenizer used for chunks, sentences and queries alike.

Lower-case, English stop words, Snowball stemming (bm25s + PyStemmer), so a query and the index
always agree on what a term is. Safe to call from several threads at once: each thread stems with
its own stemmer, because a PyStemmer ``Stemmer`` is not thread-safe. The tokens of recent texts are
kept (a question's and its candidate sentences' are asked for several times per answer, and each
bm25s call costs a fixed ~0.15 ms on top of the text's own work).
"""

from __future__ import annotations

import threading
from functools import lru_cache

import bm25s
import Stemmer

_local = threading.local()
# Up to this many texts are looked up one by one in the cache; more (an index being built) in one call.
_FEW = 8


def _stemmer() -> Stemmer.Stemmer:
    """This thread's stemmer, made on its first use (a few microseconds, a small cache each)."""
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def _tokenized(texts: list[str]) -> list[list[str]]:
    result = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(tokens) for tokens in result]


@lru_cache(maxsize=8192)
def _tokens_of(text: str) -> tuple[str, ...]:
    return tuple(_tokenized([text])[0])


def tokenize(texts: list[str]) -> list[list[str]]:
    """Stemmed, stop-word-free tokens of each text (a batch of many texts is tokenized at once)."""
    if len(texts) > _FEW:
        return _tokenized(texts)
    return [list(_tokens_of(text)) for text in texts]

