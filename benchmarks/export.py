"""Handout export benchmark: a 200-item DOCX (target ≤ 2 s) and 2,000-item exports in every format.

In-process, over the live index of ``index/``: the items quote real passages of the index (two
sentences each, a facilitator's note on every item), cycling through them. Each timing is
``export.render`` whole (licence check, view, file) and the median of a few runs; the file sizes
are recorded. Prints the figures and writes benchmarks/results/export.json.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import write_results  # noqa: E402

TARGET_200_DOCX_S = 2.0
RUNS = {200: 5, 2000: 2}


def _handout(index, items: int):
    from assistant.export.handouts import excerpt_from_chunk, item_heading
    from assistant.models import Handout, HandoutItem

    made = []
    chunks = [c for c in index.chunks if index.sentences_of(c.chunk_id)]
    for i in range(items):
        chunk = chunks[i % len(chunks)]
        quotes = [excerpt_from_chunk(chunk, s.text) for s in index.sentences_of(chunk.chunk_id)[:2]]
        headline = chunk.heading_path[-1] if chunk.heading_path else "Introduction"
        made.append(HandoutItem(heading=item_heading(chunk.country, headline), country=chunk.country,
                                excerpts=quotes, note=f"Facilitator's note {i}: ask the group what they would do."))
    return Handout(title=f"Benchmark handout of {items} examples", items=made)


def main() -> None:
    from assistant.config import Settings
    from assistant.export.render import FORMATS, render
    from assistant.search.index import load_index

    index = load_index(Settings())
    figures: dict[str, float | int | bool] = {}
    for items, runs in RUNS.items():
        handout = _handout(index, items)
        for fmt in FORMATS:
            seconds = []
            for _ in range(runs):
                start = time.perf_counter()
                body = render(handout, index.documents, fmt)
                seconds.append(time.perf_counter() - start)
            figures[f"{fmt}_{items}_items_s"] = round(statistics.median(seconds), 3)
            figures[f"{fmt}_{items}_items_bytes"] = len(body)
    figures["docx_200_items_target_s"] = TARGET_200_DOCX_S
    figures["docx_200_items_ok"] = figures["docx_200_items_s"] <= TARGET_200_DOCX_S
    print(json.dumps(figures, indent=2))
    print(f"wrote {write_results('export', figures)}")


if __name__ == "__main__":
    main()
