"""report.json / report.html of a run, comparing two runs, and the listing the web app's /eval page uses."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.evaluation.metrics import summarise
from assistant.evaluation.reports.build import build_report
from assistant.evaluation.reports.compare import compare_reports
from assistant.evaluation.reports.files import ReportError, load_report, write_comparison, write_report
from assistant.evaluation.reports.listing import find_report, list_reports
from assistant.evaluation.reports.render import render_comparison_html, render_report_html
from assistant.evaluation.scoring import score_case
from assistant.evaluation.testsets import TestCase
from tests.test_evaluation import ALL_CHUNKS, Q2, Q3, Q4, answer, hand_made_results

MANIFEST = {
    "format_version": 1,
    "code_version": "0.1.0",
    "built_at": "2030-01-01T00:00:00Z",
    "model": {"name": "sentence-transformers/all-MiniLM-L6-v2", "dimension": 384, "normalized": True},
    "documents": {"doc": {"file": "doc.md", "sha256": "ab" * 32, "chunks": 5}},
    "counts": {"documents": 1, "chunks": 5, "sentences": 9},
}
XSS = "<script>alert('x')</script>"


def make_report(tmp_path: Path, results, name: str, **thresholds) -> dict:
    test_set = tmp_path / "hand.jsonl"
    test_set.write_text("{}\n", encoding="utf-8")
    return build_report(
        summarise(results, ALL_CHUNKS, 3), name=name, test_set=test_set, manifest=MANIFEST, index_path="/idx",
        settings=Settings(database={"url": "postgresql://user:secret@db/x"}), retriever="hybrid", **thresholds,
    )


def run_b(k: int = 3):
    """Run B: q3 now finds its support first and cites it (better); q2's support drops to rank 3 (worse)."""
    return [
        hand_made_results(k)[0],  # q1 unchanged
        score_case(Q2, answer(Q2.question, ["c3", "c4", "c2"], {"c2": "A lead buyer financed 100%."}), k),
        score_case(Q3, answer(Q3.question, ["c3", "c1", "c4"], {"c3": "An anonymous grievance box."}), k),
        score_case(Q4, answer(Q4.question, ["c4"], abstained=True), k),
    ]


def test_report_records_metrics_questions_failures_first_and_provenance(tmp_path):
    report = make_report(tmp_path, hand_made_results(), "run-a", fail_under={"hit@1": 0.5})
    assert [row["id"] for row in report["questions"]] == ["q3", "q1", "q2", "q4"]
    q3 = report["questions"][0]
    assert q3["verdict"] == "fail" and q3["first_support_rank"] is None
    assert q3["failures"] == ["no supporting passage in the top 3", "only 0 of 1 citations supported"]
    assert q3["expected"]["must_contain"] == ["anonymous grievance"]
    assert q3["citation_labels"] == ["[1] Doc — Asia › Myanmar (Myanmar)"] and q3["citations_supported"] == [False]
    assert q3["answer"]["question"] == Q3.question and len(q3["answer"]["passages"]) == 3
    assert report["gate"] == {"fail_under": {"hit@1": 0.5}, "fail_over": {}, "passed": False,
                              "missed": ["hit@1 = 0.3333 is under the floor 0.5"]}
    prov = report["provenance"]
    assert prov["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert prov["corpus"]["documents"] == {"doc": {"file": "doc.md", "sha256": "ab" * 32}}
    assert len(prov["corpus"]["fingerprint"]) == 64
    assert prov["code"]["package"] == "0.1.0" and "git_commit" in prov["code"]
    assert "database_url" not in report["run"]["settings"] and report["run"]["settings"]["top_k"] == 5
    assert report["definitions"]["mrr"].startswith("Mean over answerable questions")


def test_report_files_round_trip_and_html_escapes_untrusted_text(tmp_path):
    results = hand_made_results()
    results[0].case.question = f"Myanmar {XSS}?"
    html_path = write_report(make_report(tmp_path, results, "run-a"), tmp_path / "reports" / "run-a")
    report = load_report(tmp_path / "reports" / "run-a")
    assert load_report(tmp_path / "reports" / "run-a" / "report.json") == report
    html = html_path.read_text(encoding="utf-8")
    assert html == render_report_html(load_report(tmp_path / "reports" / "run-a"))
    assert XSS not in html and "&lt;script&gt;alert(" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html) and "<link" not in html  # nothing to fetch
    assert html.count("<svg") == 4  # metric bars, rank histogram, per-type bars, latency
    assert html.index('id="q-q3"') < html.index('id="q-q1"')  # the failing question comes first
    assert "Share of answerable questions whose first retrieved passage supports them" in html


def test_compare_gives_deltas_and_the_questions_that_changed(tmp_path):
    a = make_report(tmp_path, hand_made_results(), "run-a")
    b = make_report(tmp_path, run_b(), "run-b")
    comparison = compare_reports(a, b)
    metrics = {m["name"]: m for m in comparison["metrics"]}
    assert metrics["hit@1"]["a"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["hit@1"]["b"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["hit@1"]["delta"] == pytest.approx(1 / 3, abs=1e-3) and metrics["hit@1"]["improved"] is True
    assert metrics["mrr"]["delta"] == pytest.approx((1 + 1 / 3 + 1) / 3 - 0.5, abs=1e-3)
    assert metrics["abstention_accuracy"]["delta"] == 0 and metrics["abstention_accuracy"]["improved"] is None
    assert [(q["id"], q["change"]) for q in comparison["better"]] == [("q3", "verdict: fail → pass")]
    assert [(q["id"], q["change"]) for q in comparison["worse"]] == [("q2", "first supporting passage rank: 2 → 3")]
    assert comparison["same_test_set"] and not comparison["only_in_a"]
    differing = [row["field"] for row in comparison["runs"] if not row["same"]]
    assert differing == []  # same set, model, corpus, code: only the answers differ
    html_path = write_comparison(comparison, tmp_path / "cmp")
    assert json.loads((tmp_path / "cmp" / "compare.json").read_text())["better"][0]["id"] == "q3"
    html = html_path.read_text(encoding="utf-8")
    assert html == render_comparison_html(comparison) and "<svg" in html and "+0.333" in html


def test_compare_tells_runs_apart_by_settings_and_model(tmp_path):
    a = make_report(tmp_path, hand_made_results(), "run-a")
    b = make_report(tmp_path, hand_made_results(), "run-b")
    b["run"]["settings"]["top_k"] = 7
    b["provenance"]["model"]["name"] = "other-model"
    b["questions"] = [row for row in b["questions"] if row["id"] != "q4"]
    comparison = compare_reports(a, b)
    rows = {row["field"]: row for row in comparison["runs"]}
    assert not rows["model"]["same"] and rows["model"]["b"] == "other-model"
    assert rows["setting top_k"]["a"] == "5" and rows["setting top_k"]["b"] == "7"
    assert comparison["only_in_a"] == ["q4"] and comparison["better"] == comparison["worse"] == []


def test_list_and_find_reports_for_the_web_page(tmp_path):
    reports = tmp_path / "reports"
    write_report(make_report(tmp_path, hand_made_results(), "old"), reports / "old")
    newer = make_report(tmp_path, run_b(), "new", fail_under={"hit@3": 0.5})
    newer["created_at"] = "2999-01-01T00:00:00Z"
    write_report(newer, reports / "new")
    (reports / "broken").mkdir()
    (reports / "broken" / "report.json").write_text("{oops", encoding="utf-8")
    (reports / "not-a-report").mkdir()
    summaries = list_reports(reports)
    assert [s.name for s in summaries] == ["new", "old", "broken"]
    new, old, broken = summaries
    assert new.test_set == "hand" and new.retriever == "hybrid" and new.k == 3 and new.gate_passed is True
    assert (new.questions, new.passed) == (4, 4) and old.passed == 3 and old.gate_passed is None
    assert new.metrics["mrr"] == pytest.approx(0.7778, abs=1e-4) and new.model.endswith("all-MiniLM-L6-v2")
    assert broken.problem and "not a readable report" in broken.problem
    assert find_report(reports, "old") == reports / "old"
    for bad in ("../reports/old", "..", ".hidden", "missing", "not-a-report", "old/report.json", ""):
        with pytest.raises(ReportError):
            find_report(reports, bad)
    assert list_reports(tmp_path / "nowhere") == []
    (reports / "bad.json").write_text("[]", encoding="utf-8")
    with pytest.raises(ReportError, match="not an evaluation report"):
        load_report(reports / "bad.json")
    (reports / "future.json").write_text(json.dumps({**newer, "schema_version": 99}), encoding="utf-8")
    with pytest.raises(ReportError, match="report format 99, this version reads 1"):
        load_report(reports / "future.json")


def test_unanswerable_only_set_has_no_retrieval_metrics(tmp_path):
    results = [score_case(Q4, answer(Q4.question, ["c4"], abstained=True), 3),
               score_case(TestCase("q5", "Football?", "unanswerable", [], []),
                          answer("Football?", ["c4"], {"c4": "Trainers shared tips."}), 3)]
    report = make_report(tmp_path, results, "u", fail_under={"mrr": 0.5})
    assert report["metrics"]["mrr"] is None and report["metrics"]["abstention_accuracy"] == 0.5
    assert report["gate"]["missed"] == ["mrr was not computed for this run (threshold 0.5)"]
    assert "<svg" in render_report_html(report)
