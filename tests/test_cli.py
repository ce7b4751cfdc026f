"""The score-assistant command line, run as a real subprocess against a small real index."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.builders import write_blank_pdf

CLI = [str(Path(sys.executable).with_name("score-assistant"))]
REQUIRED_CITATION_KEYS = {"n", "chunk_id", "doc_id", "title", "heading_path", "country", "page", "quote", "text"}
REQUIRED_PASSAGE_KEYS = {"chunk_id", "score", "country", "heading_path", "text"}


def run(settings, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCORE_CORPUS_DIR=str(settings.corpus_dir), SCORE_INDEX_DIR=str(settings.index_dir))
    return subprocess.run(CLI + list(args), input=stdin, capture_output=True, text=True, env=env, timeout=180)


def test_ask_json_reads_one_question_per_line(small_settings):
    stdin = "Who paid for the training in Myanmar?\n\nWhat did SCORE achieve in Vietnam?\n"
    result = run(small_settings, "ask", "--json", "-", stdin=stdin)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["question"] for row in rows] == [
        "Who paid for the training in Myanmar?",
        "What did SCORE achieve in Vietnam?",
    ]
    answered, abstained = rows
    assert not answered["abstained"] and abstained["abstained"]
    for row in rows:
        assert {"question", "answer", "abstained", "citations", "passages", "timings_ms"} <= set(row)
        assert all(REQUIRED_PASSAGE_KEYS <= set(p) for p in row["passages"])
    assert answered["citations"] and all(REQUIRED_CITATION_KEYS <= set(c) for c in answered["citations"])
    assert answered["citations"][0]["country"] == "Myanmar"
    assert answered["timings_ms"]["total"] > 0


def test_ask_prints_answer_and_sources(small_settings):
    result = run(small_settings, "ask", "Which lead buyer financed suppliers in Peru?", "--country", "Peru")
    assert result.returncode == 0, result.stderr
    assert "Filters: country=Peru" in result.stdout
    assert "Sources:" in result.stdout and "[1] Mini SCORE Update 2030" in result.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (["ask", ""], "the question is empty"),
        (["ask", "x" * 2001], "limit is 2000"),
        (["ask", "training", "--country", "Atlantis"], "unknown country 'Atlantis'. Valid values: Egypt"),
        (["ask", "training", "--retriever", "magic"], "unknown retriever 'magic'"),
    ],
)
def test_bad_questions_get_a_message_not_a_traceback(small_settings, args, message):
    result = run(small_settings, *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_info_lists_documents_and_countries(small_settings):
    result = run(small_settings, "info", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert {d["doc_id"] for d in info["documents"]} == {"mini-update", "energy-manual"}
    assert info["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert set(info["facets"]["country"]) >= {"Egypt", "Myanmar", "Peru"}


def test_ingest_reports_each_failed_file_and_exits_non_zero(tmp_path, small_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "good.md").write_text("# Ghana\n\nTrainers in Kumasi coached 12 bakeries on quality.\n", encoding="utf-8")
    write_blank_pdf(corpus / "scan.pdf")
    (corpus / "notes.docx").write_bytes(b"PK")
    settings = small_settings.model_copy(update={"corpus_dir": corpus, "index_dir": tmp_path / "index"})
    result = run(settings, "ingest")
    assert result.returncode == 1
    assert "FAILED" in result.stderr and "scan.pdf: PDF has no text layer" in result.stderr
    assert "notes.docx: unsupported file type '.docx'" in result.stderr
    assert "Indexed 1 document(s)" in result.stdout
    assert "Traceback" not in result.stderr
    again = run(settings, "ask", "Who coached bakeries?", "--json")
    assert json.loads(again.stdout)["citations"][0]["doc_id"] == "good"


def test_missing_index_is_explained(tmp_path, small_settings):
    settings = small_settings.model_copy(update={"index_dir": tmp_path / "nothing"})
    result = run(settings, "ask", "anything at all")
    assert result.returncode == 1
    assert "Run `score-assistant ingest`" in result.stderr and "Traceback" not in result.stderr
