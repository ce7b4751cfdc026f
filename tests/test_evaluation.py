"""Evaluation metrics on hand-made rankings with known answers, the support rule, thresholds, test-set lint."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from assistant.evaluation.gates import check_thresholds, parse_thresholds
from assistant.evaluation.metrics import metric_definitions, summarise
from assistant.evaluation.scoring import score_case
from assistant.evaluation.support import supports
from assistant.evaluation.testsets import TestCase, TestSetError, lint_test_set, load_test_set, parse_test_set
from assistant.models import Answer, Chunk, Citation, Passage

ROOT = Path(__file__).resolve().parent.parent


def chunk(chunk_id: str, text: str, heading: list[str], country: str | None = None) -> Chunk:
    return Chunk(chunk_id=chunk_id, doc_id="doc", ordinal=0, section_id=chunk_id, text=text, heading_path=heading,
                 country=country)


CHUNKS = {
    "c1": chunk("c1", "After donors left, at least 19 enterprises fully covered the training cost.",
                ["Asia", "Myanmar"], "Myanmar"),
    "c2": chunk("c2", "A lead buyer financed 100% of the intervention.", ["Latin America", "Peru"], "Peru"),
    "c3": chunk("c3", "An anonymous grievance box was installed.", ["Africa", "Egypt"], "Egypt"),
    "c4": chunk("c4", "Trainers shared tips on social media.", ["Trainer Webinar"]),
    "c5": chunk("c5", "A free online orientation\n  session attracted clients.", ["Asia", "Myanmar"], "Myanmar"),
}
ALL_CHUNKS = list(CHUNKS.values())


def answer(question: str, ranked: list[str], cited: dict[str, str] | None = None, abstained: bool = False,
           total_ms: float = 10.0) -> Answer:
    passages = [Passage(chunk=CHUNKS[cid], score=1.0 - i / 10, rank=i + 1) for i, cid in enumerate(ranked)]
    citations = [
        Citation(n=n, chunk_id=cid, doc_id="doc", title="Doc", heading_path=CHUNKS[cid].heading_path,
                 country=CHUNKS[cid].country, region="global", page=None, quote=quote, quotes=[quote],
                 text=CHUNKS[cid].text)
        for n, (cid, quote) in enumerate((cited or {}).items(), start=1)
    ]
    return Answer(question=question, text="…", abstained=abstained, citations=citations, passages=passages,
                  timings_ms={"total": total_ms})


Q1 = TestCase("q1", "Myanmar self-paying enterprises?", "fact", ["Myanmar"], ["at least 19 enterprises"])
Q2 = TestCase("q2", "Who paid in Peru?", "fact", ["Peru"], ["lead buyer"])
Q3 = TestCase("q3", "Grievances for women in Egypt?", "howto", ["Egypt"], ["anonymous grievance"])
Q4 = TestCase("q4", "Capital of France?", "unanswerable", [], [])


def hand_made_results(k: int = 3):
    """Known answers: first support at rank 1 (q1), rank 2 (q2), nowhere (q3); q4 abstains correctly."""
    return [
        score_case(Q1, answer(Q1.question, ["c1", "c2", "c3"],
                              {"c1": "at least 19 enterprises fully covered the cost.", "c2": "A lead buyer paid."},
                              total_ms=10), k),
        score_case(Q2, answer(Q2.question, ["c3", "c2", "c4"], {"c2": "A lead buyer financed 100%."}, total_ms=20), k),
        score_case(Q3, answer(Q3.question, ["c1", "c2", "c4"], {"c1": "19 enterprises paid."}, total_ms=30), k),
        score_case(Q4, answer(Q4.question, ["c4"], abstained=True, total_ms=40), k),
    ]


def test_metrics_on_hand_made_rankings_match_known_values():
    summary = summarise(hand_made_results(), ALL_CHUNKS, k=3)
    m = summary.metrics
    assert m["hit@1"] == pytest.approx(1 / 3, abs=1e-4)
    assert m["hit@3"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["mrr"] == pytest.approx((1 + 1 / 2 + 0) / 3, abs=1e-4)
    # Strict support: q1 relevant {c1} (c5 sits in Myanmar but lacks the string) at rank 1; q2: relevant
    # {c2} at rank 2; q3: nothing relevant retrieved.
    ndcg_q1 = 1.0
    ndcg_q2 = 1 / math.log2(3)
    assert m["ndcg@10"] == pytest.approx((ndcg_q1 + ndcg_q2 + 0) / 3, abs=1e-4)
    assert m["recall@3"] == pytest.approx((1 + 1 + 0) / 3, abs=1e-4)
    assert m["section_recall@3"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["citation_precision"] == pytest.approx((1 / 2 + 1 + 0) / 3, abs=1e-4)
    assert m["must_contain_recall"] == pytest.approx(2 / 3, abs=1e-4)
    assert m["abstention_accuracy"] == 1.0
    assert m["false_abstention_rate"] == 0.0
    assert m["pass_rate"] == 0.75
    assert m["latency_median_ms"] == 25.0
    assert m["latency_p95_ms"] == pytest.approx(38.5)  # numpy linear interpolation: 30 + 0.85 × 10
    assert m["questions"] == 4
    assert summary.rank_histogram == {"1": 1, "2": 1, "3": 0, "none": 1}
    assert summary.counts == {"questions": 4, "answerable": 3, "unanswerable": 1, "passed": 3, "failed": 1}


def test_breakdown_by_question_type():
    by_type = summarise(hand_made_results(), ALL_CHUNKS, k=3).by_type
    assert list(by_type) == ["fact", "howto", "unanswerable"]
    assert by_type["fact"]["questions"] == 2
    assert by_type["fact"]["mrr"] == 0.75 and by_type["fact"]["hit@1"] == 0.5
    assert by_type["howto"]["hit@3"] == 0.0 and by_type["howto"]["pass_rate"] == 0.0
    assert by_type["unanswerable"]["mrr"] is None and by_type["unanswerable"]["abstention_accuracy"] == 1.0


def test_verdicts_say_why_a_question_fails():
    q1, q2, q3, q4 = hand_made_results()
    assert q1.passed and q2.passed and q4.passed
    assert q3.failures == ["no supporting passage in the top 3", "only 0 of 1 citations supported"]
    answered = score_case(Q4, answer(Q4.question, ["c4"], {"c4": "Trainers shared tips."}), 3)
    assert answered.failures == ["answered a question the documents do not answer"]
    abstained = score_case(Q1, answer(Q1.question, ["c1"], abstained=True), 3)
    assert abstained.failures == ["abstained on an answerable question"]
    assert abstained.citation_precision is None and abstained.must_contain_recall == 0.0


def test_a_question_no_chunk_supports_counts_as_a_miss_not_dropped():
    ghost = TestCase("q9", "Atlantis?", "fact", ["Atlantis"], ["sunken city"])
    results = hand_made_results()[:2] + [score_case(ghost, answer(ghost.question, ["c1", "c2"]), 3)]
    summary = summarise(results, ALL_CHUNKS, k=3)
    assert summary.metrics["hit@3"] == pytest.approx(2 / 3, abs=1e-4)
    assert summary.unsupported == ["q9"]


def test_support_rule_is_case_and_whitespace_insensitive():
    case = TestCase("x", "?", "fact", [], ["Free online ORIENTATION session"])
    assert supports(CHUNKS["c5"], case)
    assert supports(CHUNKS["c5"], TestCase("x", "?", "fact", ["myanmar"], []))
    assert not supports(CHUNKS["c4"], case)


def test_thresholds_parse_and_gate():
    floors = parse_thresholds("hit@5=0.9, citation_precision=0.85")
    assert floors == {"hit@5": 0.9, "citation_precision": 0.85}
    metrics = {"hit@5": 0.95, "citation_precision": 0.8, "abstention_accuracy": None}
    assert check_thresholds(metrics, floors) == ["citation_precision = 0.8 is under the floor 0.85"]
    assert check_thresholds(metrics, {"hit@5": 0.95}) == []
    assert check_thresholds(metrics, {"abstention_accuracy": 0.8}) == [
        "abstention_accuracy was not computed for this run (threshold 0.8)"
    ]
    assert check_thresholds({"false_abstention_rate": 0.2}, {"false_abstention_rate": 0.1}, "over") == [
        "false_abstention_rate = 0.2 is over the ceiling 0.1"
    ]
    with pytest.raises(ValueError, match="write metric=value"):
        parse_thresholds("hit@5:0.9")


BAD_SET_LINES = [
    {"id": "a", "question": "Who paid in Myanmar?", "type": "fact", "expected_sections": ["Myanmar"],
     "must_contain": ["25 enterprises"]},
    "{not json",
    ["a", "list"],
    {"id": "b", "question": "No keys?"},
    {"id": "c", "question": "Odd type?", "type": "trivia", "expected_sections": [], "must_contain": []},
    {"id": "a", "question": "Again?", "type": "fact", "expected_sections": ["Peru"], "must_contain": []},
    {"id": "d", "question": "Not a list?", "type": "fact", "expected_sections": "Peru", "must_contain": []},
    {"id": "e", "question": "Nothing to check?", "type": "howto", "expected_sections": [], "must_contain": []},
    {"id": "f", "question": "Typo?", "type": "fact", "expected_sections": ["Peru"], "must_contain": [],
     "must_contains": ["x"]},
]


def write_set(path: Path, lines: list) -> Path:
    rows = [line if isinstance(line, str) else json.dumps(line) for line in lines]
    path.write_text("\n".join(rows[:1] + [""] + rows[1:]) + "\n", encoding="utf-8")  # a blank line 2 is skipped
    return path


def test_lint_reports_every_problem_with_its_line(tmp_path):
    path = write_set(tmp_path / "bad.jsonl", BAD_SET_LINES)
    problems = {(p.line, p.severity): p.message for p in lint_test_set(path)}
    assert "not valid JSON" in problems[(3, "error")]
    assert "must be a JSON object" in problems[(4, "error")]
    assert problems[(5, "error")] == "missing keys: type, expected_sections, must_contain"
    assert "unknown type 'trivia'" in problems[(6, "error")]
    assert problems[(7, "error")] == "duplicate id 'a' (first on line 1)"
    assert "expected_sections must be a list of strings" in problems[(8, "error")]
    assert "needs expected_sections or must_contain" in problems[(9, "error")]
    assert "unknown keys: must_contains" in problems[(10, "warning")]
    assert len(problems) == 8


def test_load_test_set_raises_a_clear_error_naming_the_lines(tmp_path):
    path = write_set(tmp_path / "bad.jsonl", BAD_SET_LINES)
    with pytest.raises(TestSetError) as caught:
        load_test_set(path)
    message = str(caught.value)
    assert "7 problem(s)" in message and "eval lint" in message
    assert re.search(r"bad\.jsonl:3: error: not valid JSON", message)
    cases, _ = parse_test_set(path)
    assert [c.id for c in cases] == ["a", "f"] and cases[1].line == 10
    with pytest.raises(TestSetError, match="no such file"):
        load_test_set(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"id": "caf\xe9"}\n')
    with pytest.raises(TestSetError, match="not UTF-8"):
        load_test_set(tmp_path / "latin1.jsonl")
    (tmp_path / "empty.jsonl").write_text("\n\n", encoding="utf-8")
    with pytest.raises(TestSetError, match="empty"):
        load_test_set(tmp_path / "empty.jsonl")


def test_lint_checks_strings_and_sections_against_the_indexed_corpus(tmp_path, small_assistant):
    path = write_set(tmp_path / "corpus.jsonl", [
        {"id": "ok", "question": "Myanmar?", "type": "fact", "expected_sections": ["Myanmar"],
         "must_contain": ["25 enterprises fully covered"]},
        {"id": "lost", "question": "Atlantis?", "type": "fact", "expected_sections": ["Atlantis"],
         "must_contain": ["sunken city"]},
        {"id": "elsewhere", "question": "Recycling in Peru?", "type": "fact", "expected_sections": ["Peru"],
         "must_contain": ["recycling businesses"]},
        {"id": "long", "question": "x" * 3000, "type": "unanswerable", "expected_sections": [], "must_contain": []},
    ])
    problems = lint_test_set(path, small_assistant.index.chunks, small_assistant.settings)
    described = [p.describe(path) for p in problems]
    assert f"{path}:3: error: lost: expected section 'Atlantis' matches no country or heading in the index" in described
    assert f"{path}:3: error: lost: must_contain 'sunken city' is in no indexed passage" in described
    assert any(":4: warning: elsewhere: must_contain 'recycling businesses' appears only outside" in d
               for d in described)
    assert any(":5: error: long: the question is 3000 characters long" in d for d in described)
    assert not any(":1:" in d for d in described)


def test_dev_set_is_clean_and_readme_defines_every_metric(bundled_assistant):
    dev = ROOT / "eval" / "testsets" / "dev.jsonl"
    assert lint_test_set(dev, bundled_assistant.index.chunks, bundled_assistant.settings) == []
    readme = (ROOT / "eval" / "README.md").read_text(encoding="utf-8")
    for name in metric_definitions(5):
        assert f"`{name.replace('@5', '@k')}`" in readme, name
