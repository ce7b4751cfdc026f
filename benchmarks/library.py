"""Story library benchmark: server time of the /library page with every filter set (target ≤ 50 ms median).

In-process (FastAPI's TestClient, the app over the live index of ``index/`` and a throw-away SQLite
file): each timing is one whole request through the middleware, the router, the library and the
template, so it is an upper bound of the handler's time. Filters are those of an existing story, so
the page lists a story rather than an empty result. Also measured: the page unfiltered, with every
filter and a search (one query embedding), and ``GET /api/stories`` with every filter. Prints the
figures and writes benchmarks/results/library.json.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.measure import RESULTS, timing_summary  # noqa: E402

REPEATS = 200
TARGET_MS = 50.0


def _timings(client, path: str, params: dict[str, str], repeats: int = REPEATS) -> list[float]:
    for _ in range(5):  # warm: first uses of the template and of the filter checks
        assert client.get(path, params=params, headers={"accept": "text/html"}).status_code == 200
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(path, params=params, headers={"accept": "text/html"})
        timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return timings


def main() -> None:
    from fastapi.testclient import TestClient

    from assistant.config import Settings
    from assistant.qa.service import Assistant
    from assistant.web.app import create_app

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(corpus_dir=ROOT / "corpus", index_dir=ROOT / "index").replace(
            database={"url": f"sqlite:///{Path(folder) / 'bench.sqlite'}"}
        )
        with TestClient(create_app(settings, Assistant(settings))) as client:
            story = client.get("/api/stories", params={"limit": 1}).json()["items"][0]
            filters = {
                "country": story["country"], "region": story["region"], "module": (story["modules"] or [""])[0],
                "topic": (story["topics"] or [""])[0], "document": story["doc_id"], "year": str(story["year"] or ""),
            }
            results = {
                "stories": client.get("/api/stories").json()["total"],
                "filters": filters,
                **timing_summary(_timings(client, "/library", filters), "library_all_filters"),
                **timing_summary(_timings(client, "/library", {}), "library_unfiltered"),
                **timing_summary(_timings(client, "/library", {**filters, "q": "a 5S success in a warehouse"}),
                                 "library_all_filters_and_search"),
                **timing_summary(_timings(client, "/api/stories", filters), "api_stories_all_filters"),
            }
    results["target_ms"] = TARGET_MS
    results["meets_target"] = results["library_all_filters_median_ms"] <= TARGET_MS
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "library.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    if not results["meets_target"]:
        sys.exit(f"/library with all filters: {results['library_all_filters_median_ms']} ms median > {TARGET_MS} ms")


if __name__ == "__main__":
    main()
