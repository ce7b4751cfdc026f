"""Synthetic corpora for the scale benchmarks, made from the bundled corpus's own sentences.

Owns turning the bundled Annual Update into as much plain text as a benchmark asks for: its
headings and sentences shuffled and repeated, each sentence varied (numbers changed, a word swapped
for another word of the corpus) so that no two are the same text and the embedding cache cannot
skip them. Deterministic for a seed. Nothing here is committed as data; benchmarks write to /tmp.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

from assistant.ingest.chunking import clean_line
from assistant.text.sentences import split_sentences

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "corpus" / "score-annual-update-2023-24.md"
BYTES_PER_CHUNK = 600  # what synthetic text gives at the default 900/150 chunking (measured: 1,004 chunks from 600 kB)

_NUMBER = re.compile(r"\d[\d,.]*")
_WORD = re.compile(r"\b[a-z]{5,}\b")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+)$")


def corpus_parts(path: Path = BUNDLED) -> tuple[list[str], list[str]]:
    """(headings, sentences) of a Markdown document: headings as plain words, prose sentences of 40+ characters."""
    headings: list[str] = []
    sentences: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines():
        heading = _MD_HEADING.match(raw.strip())
        text = clean_line(heading.group(1) if heading else raw).lstrip("►• ").strip()
        if heading:
            if 3 <= len(text) <= 80 and text[0].isalpha():
                headings.append(text.rstrip(".:;,"))
            continue
        sentences.extend(text[a:b] for a, b in split_sentences(text) if len(text[a:b]) >= 40)
    return headings, sentences


class SentenceVariety:
    """Sentences of the corpus, each drawn with its numbers changed and one word swapped."""

    def __init__(self, seed: int = 7, path: Path = BUNDLED) -> None:
        self.random = random.Random(seed)
        self.headings, self.sentences = corpus_parts(path)
        self.words = sorted({w for s in self.sentences for w in _WORD.findall(s)})

    def _number(self, match: re.Match[str]) -> str:
        return f"{self.random.randint(2, 9999):,}"

    def sentence(self) -> str:
        text = _NUMBER.sub(self._number, self.random.choice(self.sentences))
        words = _WORD.findall(text)
        if words:
            # One word swapped, and a number appended, keeps every sentence distinct without making it gibberish.
            text = text.replace(self.random.choice(words), self.random.choice(self.words), 1)
        return f"{text.rstrip('.')} ({self.random.randint(1, 99_999)})."

    def heading(self, number: int) -> str:
        return f"{number}. {self.random.choice(self.headings)}"

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(self.random.randint(2, 6)))


def synthetic_text(target_bytes: int, seed: int = 7, paragraphs_per_section: int = 6) -> str:
    """Plain text of about ``target_bytes``: numbered headings, each over a few paragraphs."""
    variety = SentenceVariety(seed)
    parts: list[str] = []
    size = 0
    section = 0
    while size < target_bytes:
        section += 1
        block = [variety.heading(section), ""]
        for _ in range(variety.random.randint(1, paragraphs_per_section)):
            block += [variety.paragraph(), ""]
        text = "\n".join(block) + "\n"
        parts.append(text)
        size += len(text.encode("utf-8"))
    return "".join(parts)


def write_synthetic_corpus(folder: Path, target_bytes: int, seed: int = 7, name: str = "synthetic.txt") -> Path:
    """A corpus folder holding one generated text file of about ``target_bytes``; returns the file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(synthetic_text(target_bytes, seed), encoding="utf-8")
    return path
