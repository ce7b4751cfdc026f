"""The `score-assistant eval` commands in-process (typer's CliRunner) on the small real index."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from assistant.cli import app
from assistant.cli import eval as cli_eval
from assistant.evaluation.reports.files import write_report
from assistant.qa.service import Assistant
from tests.test_eval_reports import make_report, run_b
from tests.test_evaluation import hand_made_results, write_set

SMALL_SET = [
    {"id": "s1", "question": "How many enterprises in Myanmar paid for the training themselves?", "type": "fact",
     "expected_sections": ["Myanmar"], "must_contain": ["25 enterprises"]},
    {"id": "s2", "question": "Which lead buyer financed suppliers in Peru?", "type": "howto",
     "expected_sections": ["Peru"], "must_contain": ["lead buyer"]},
    {"id": "s3", "question": "What did SCORE achieve in Vietnam?", "type": "unanswerable",
     "expected_sections": [], "must_contain": []},
]


@pytest.fixture()
def runner(monkeypatch, embedder) -> CliRunner:
    # The real assistant over the index the command names, sharing the session's model instead of loading another.
    monkeypatch.setattr(cli_eval, "make_assistant", lambda settings: Assistant(settings, embedder=embedder))
    return CliRunner()


def test_eval_set_runs_writes_reports_and_gates(tmp_path, runner, small_settings):
    test_set = write_set(tmp_path / "small.jsonl", SMALL_SET)
    out = tmp_path / "reports" / "met"
    # `eval SET` without the `run` subcommand, the form CI and the README use.
    result = runner.invoke(app, ["eval", str(test_set), "--k", "3", "--index", str(small_settings.index_dir),
                                 "--out", str(out), "--json", "--fail-under", "hit@3=0.9,abstention_accuracy=1"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.stdout)
    assert metrics["hit@3"] == 1.0 and metrics["abstention_accuracy"] == 1.0 and metrics["questions"] == 3
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["metrics"] == metrics and report["gate"]["passed"] is True
    assert report["provenance"]["index"]["path"].startswith(str(small_settings.index_dir))
    assert report["test_set"]["name"] == "small" and report["run"]["k"] == 3
    assert (out / "report.html").read_text(encoding="utf-8").count("<svg") == 4
    assert "Report:" in result.stderr

    missed = runner.invoke(app, ["eval", "run", str(test_set), "--k", "3", "--index", str(small_settings.index_dir),
                                 "--out", str(tmp_path / "reports" / "missed"),
                                 "--fail-under", f"mrr={metrics['mrr'] + 0.001}"])
    assert missed.exit_code == 1, missed.output
    assert "FAILED threshold: mrr =" in missed.stderr and "is under the floor" in missed.stderr
    assert "citation_precision" in missed.stdout  # the metrics are still printed, the report still written
    gated = json.loads((tmp_path / "reports" / "missed" / "report.json").read_text(encoding="utf-8"))
    assert gated["gate"]["passed"] is False and gated["metrics"]["mrr"] == metrics["mrr"]


def test_default_report_folder_is_named_after_set_and_retriever(tmp_path, runner, small_settings, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_set(tmp_path / "tiny.jsonl", SMALL_SET[:1])
    result = runner.invoke(app, ["eval", "tiny.jsonl", "--index", str(small_settings.index_dir), "--retriever", "bm25"])
    assert result.exit_code == 0, result.output
    (folder,) = (tmp_path / "eval" / "reports").iterdir()
    assert folder.name.startswith("tiny-bm25-") and (folder / "report.html").is_file()
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["run"]["retriever"] == "bm25"
    assert "hit@5" in result.stdout
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    blocked = runner.invoke(app, ["eval", "tiny.jsonl", "--index", str(small_settings.index_dir), "--out", "a-file"])
    assert blocked.exit_code == 1 and "cannot write the report to a-file" in blocked.stderr
    assert isinstance(blocked.exception, SystemExit)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--retriever", "magic"], "unknown retriever 'magic'"),
        (["--fail-under", "hit@5"], "write metric=value"),
        (["--fail-under", "hit@10=0.9"], "unknown metric 'hit@10' for k=5"),
    ],
)
def test_bad_options_are_refused_before_any_work(tmp_path, args, message):
    test_set = write_set(tmp_path / "small.jsonl", SMALL_SET)
    result = CliRunner().invoke(app, ["eval", str(test_set), *args])
    assert result.exit_code == 2 and message in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_malformed_set_gives_every_bad_line_not_a_traceback(tmp_path):
    test_set = write_set(tmp_path / "bad.jsonl", [SMALL_SET[0], "{oops", {"id": "s1", "question": "dup"}])
    result = CliRunner().invoke(app, ["eval", str(test_set)])
    assert result.exit_code == 2
    assert "bad.jsonl:3: error: not valid JSON" in result.stderr
    assert "bad.jsonl:4: error: missing keys" in result.stderr
    assert "duplicate id 's1' (first on line 1)" in result.stderr
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_lint_lists_all_problems_and_exits_1(tmp_path, small_settings):
    bad = write_set(tmp_path / "bad.jsonl", [
        SMALL_SET[0],
        {"id": "x", "question": "Atlantis?", "type": "fact", "expected_sections": ["Atlantis"], "must_contain": []},
        {"id": "x", "question": "Typo?", "type": "fakt", "expected_sections": [], "must_contain": []},
    ])
    result = CliRunner().invoke(app, ["eval", "lint", str(bad)], env={"SCORE_INDEX_DIR": str(small_settings.index_dir)})
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert f"{bad}:3: error: x: expected section 'Atlantis' matches no country or heading in the index" in lines
    assert f"{bad}:4: error: duplicate id 'x' (first on line 3)" in lines
    assert any(line.startswith(f"{bad}:4: error: unknown type 'fakt'") for line in lines)
    assert "3 error(s), 0 warning(s)" in result.stderr

    good = write_set(tmp_path / "good.jsonl", SMALL_SET)
    ok = CliRunner().invoke(app, ["eval", "lint", str(good), "--index", str(small_settings.index_dir), "--json"])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["problems"] == []
    file_only = CliRunner().invoke(app, ["eval", "lint", str(bad), "--no-corpus", "--index", str(tmp_path / "none")])
    assert file_only.exit_code == 1 and "2 error(s)" in file_only.stderr
    no_index = CliRunner().invoke(app, ["eval", "lint", str(good), "--index", str(tmp_path / "none")])
    assert no_index.exit_code == 1 and "cannot check the test set against the corpus" in no_index.stderr


def test_compare_prints_deltas_changes_and_gates_b(tmp_path):
    a = write_report(make_report(tmp_path, hand_made_results(), "run-a"), tmp_path / "run-a").parent
    b = write_report(make_report(tmp_path, run_b(), "run-b"), tmp_path / "run-b").parent
    result = CliRunner().invoke(app, ["eval", "compare", str(a), str(b / "report.json"), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "hit@1" in result.stdout and "+0.333 better" in result.stdout
    assert "Better in B (1):\n  q3  verdict: fail → pass" in result.stdout
    assert "Worse in B (1):\n  q2  first supporting passage rank: 2 → 3" in result.stdout
    assert (tmp_path / "c" / "compare.html").is_file()

    as_json = CliRunner().invoke(app, ["eval", "compare", str(a), str(b), "--json", "--fail-under", "mrr=0.7"])
    assert as_json.exit_code == 0 and json.loads(as_json.stdout)["worse"][0]["id"] == "q2"
    under = CliRunner().invoke(app, ["eval", "compare", str(a), str(b), "--fail-under", "mrr=0.8"])
    assert under.exit_code == 1 and "FAILED threshold (B): mrr = 0.7778 is under the floor 0.8" in under.stderr
    missing = CliRunner().invoke(app, ["eval", "compare", str(a), str(tmp_path / "nope")])
    assert missing.exit_code == 2 and "no report.json there" in missing.stderr


def test_eval_group_has_run_compare_and_lint_and_each_takes_its_own_options():
    import typer

    group = typer.main.get_command(app).commands["eval"]
    assert set(group.commands) == {"run", "compare", "lint", "fit", "ceilings", "fit-phrasings", "phrasings"}
    # Each subcommand answers its own --help with an option only it has (the group's help text would not).
    for name, option in (("run", "--fail-under"), ("compare", "--out"), ("lint", "--no-corpus"),
                         ("phrasings", "--pairs")):
        result = CliRunner().invoke(app, ["eval", name, "--help"])
        assert result.exit_code == 0 and option in result.stdout, name
