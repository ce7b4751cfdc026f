"""Tokenizing: the one tokenizer used for chunks, sentences and queries alike.

Lower-case, English stop words, Snowball stemming (bm25s + PyStemmer), so a query and the index
always agree on what a term is.
"""

from __future__ import annotations

from functools import lru_cache

import bm25s


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[str]]:
    """Stemmed, stop-word-free tokens of each text."""
    result = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    return [list(tokens) for tokens in result]
