"""A published curated answer as the ``Answer`` a trainer sees.

The text is the answer's quotes, each with its ``[n]`` marker and one citation per quote (fields
from the passage in the live index and its document's metadata, as every citation is made:
``qa.citations.make_citation``), then the moderator's note under a label that says whose words
they are, never as a quote. ``curated`` says which answer and version, who reviewed it when, and
which phrasing matched with what score. The matcher (``qa.curated_match``) decides which answer
matches; it serves an answer only when ``servable`` says its passages are unchanged in this build.
"""

from __future__ import annotations

from assistant.curation.grounding import is_current
from assistant.models import Answer, CuratedInfo, Passage, PublishedCurated
from assistant.qa.citations import make_citation
from assistant.search.index import LoadedIndex

NOTE_LABEL = "Moderator's note (the moderator's own words, not a quote from the documents):"


class NotServable(ValueError):
    """A curated answer quoting a passage this index build does not hold as it was quoted."""


def servable(record: PublishedCurated, index: LoadedIndex) -> bool:
    """Every quoted passage is in the index with the text it had when quoted."""
    return bool(record.quotes) and all(is_current(index, q.chunk_id, q.passage_sha256) for q in record.quotes)


def curated_answer(
    record: PublishedCurated, index: LoadedIndex, matched_phrasing: str, score: float, question: str | None = None
) -> Answer:
    """The answer of ``record`` for a question (default: the phrasing it matched); NotServable when a
    quoted passage changed since it was published."""
    if not servable(record, index):
        raise NotServable(f"curated answer {record.id} quotes a passage this index build changed or removed")
    citations, passages, lines = [], [], []
    for n, quote in enumerate(record.quotes, start=1):
        chunk = index.chunk(quote.chunk_id)
        assert chunk is not None  # servable() checked it
        passage = Passage(chunk=chunk, score=1.0, rank=n)
        citations.append(make_citation(n, passage, [quote.text], index.documents))
        if all(p.chunk.chunk_id != chunk.chunk_id for p in passages):
            passages.append(passage)
        lines.append(f"- “{quote.text}” [{n}]")
    if record.note:
        lines += ["", f"**{NOTE_LABEL}** {record.note}"]
    info = CuratedInfo(id=record.id, version=record.version, curator=record.curator, reviewed_at=record.reviewed_at,
                       matched_phrasing=matched_phrasing, score=score)
    return Answer(question=question or matched_phrasing, text="\n".join(lines), abstained=False, origin="curated",
                  curated=info, citations=citations, passages=passages)
