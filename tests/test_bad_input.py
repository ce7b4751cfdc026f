"""Input that used to end in a server error or a traceback gets a clear 4xx or a one-line CLI error instead,
and what ingest or the report list leaves out (links outside, loops, sub-folders) is said, not silent."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.evaluation.reports.files import REPORT_JSON, ReportError
from assistant.evaluation.reports.listing import find_report, list_reports
from assistant.ingest.pdf import PdfProblem, read_pdf
from assistant.ingest.sources import discover
from assistant.search.filters import QuestionError
from assistant.web.app import create_app
from tests.builders import MANUAL_PAGES, write_pdf

SURROGATE = "\ud800"


@pytest.fixture
def client(small_settings, small_assistant, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    with TestClient(create_app(settings, small_assistant), raise_server_exceptions=False) as client:
        yield client


def _post_raw(client: TestClient, path: str, body: str):
    return client.post(path, content=body.encode("utf-8"), headers={"content-type": "application/json"})


@pytest.mark.parametrize(
    "body",
    [
        '{"question": "\\ud800 energy"}',
        '{"question": "Peru?", "conversation_id": "\\ud800"}',
        '{"question": "Peru?", "filters": {"country": "\\ud800"}}',
        '{"question": "Peru?", "filters": {"\\ud800": "x"}}',
        '{"question": "Peru?", "k": NaN}',
        '{"question": "Peru?", "k": Infinity}',
        '{"question": "Peru?", "k": true}',
    ],
)
def test_ask_refuses_what_it_cannot_read_with_a_4xx(client, body):
    response = _post_raw(client, "/api/ask", body)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["detail"]
    assert response.headers["content-security-policy"]


def test_feedback_refuses_ids_beyond_64_bits_and_invalid_comments(client):
    asked = client.post("/api/ask", json={"question": "Who financed the suppliers in Peru?"}).json()
    huge = _post_raw(client, "/api/feedback", '{"answer_id": 18446744073709551616, "rating": "up"}')
    assert huge.status_code == 422
    bad_comment = _post_raw(client, "/api/feedback", f'{{"answer_id": {asked["answer_id"]}, "rating": "up", '
                            '"comment": "\\ud800"}')
    assert bad_comment.status_code == 422
    form = client.post("/feedback", data={"answer_id": str(2**70), "rating": "up"})
    assert form.status_code == 422
    long_comment = {"answer_id": str(asked["answer_id"]), "rating": "down", "comment": "x" * 60000}
    long = client.post("/feedback", data=long_comment)
    assert long.status_code == 422
    fine = client.post("/api/feedback", json={"answer_id": asked["answer_id"], "rating": "up", "comment": "ok"})
    assert fine.status_code == 201


def test_a_question_of_invisible_characters_is_empty(small_assistant):
    with pytest.raises(QuestionError, match="empty"):
        small_assistant.ask("\u200b\u200d\ufeff  \u2060")
    with pytest.raises(QuestionError, match="not valid text"):
        small_assistant.ask(f"energy {SURROGATE}")


def test_a_report_folder_linked_from_outside_is_neither_listed_nor_found(tmp_path):
    reports, outside = tmp_path / "reports", tmp_path / "private"
    for folder in (reports / "run-a", outside / "secret-run"):
        folder.mkdir(parents=True)
        (folder / REPORT_JSON).write_text("{}", encoding="utf-8")
    (reports / "leak").symlink_to(outside / "secret-run", target_is_directory=True)
    (reports / "latest").symlink_to(reports / "run-a", target_is_directory=True)  # inside: still listed
    assert sorted(r.name for r in list_reports(reports)) == ["latest", "run-a"]
    with pytest.raises(ReportError):
        find_report(reports, "leak")


def test_pypdf_warnings_name_the_file(tmp_path, caplog):
    whole = write_pdf(tmp_path / "whole.pdf", MANUAL_PAGES[:1]).read_bytes()
    cut = tmp_path / "cut-short.pdf"
    cut.write_bytes(whole[: whole.rindex(b"%%EOF")])  # a download cut short: pypdf warns, then gives up
    with caplog.at_level(logging.WARNING), pytest.raises(PdfProblem):
        read_pdf(cut)
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert f"{cut}: EOF marker not found" in warnings, warnings
    assert all(w.startswith(f"{cut}: ") for w in warnings), warnings


def test_what_ingest_does_not_read_in_a_folder_is_reported(tmp_path, caplog):
    corpus = tmp_path / "corpus"
    (corpus / "drafts").mkdir(parents=True)
    (corpus / "notes.md").write_text("# Notes\n\nText.\n", encoding="utf-8")
    (corpus / "loop.md").symlink_to(corpus / "loop.md")
    (corpus / "gone.md").symlink_to(tmp_path / "missing.md")
    (corpus / "self").symlink_to(corpus, target_is_directory=True)
    (corpus / ".hidden.md").write_text("# Hidden\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        assert discover([corpus]) == [corpus / "notes.md"]
    skipped = {r.getMessage() for r in caplog.records}
    assert skipped == {
        f"skipped {corpus / 'drafts'}: a sub-folder (sub-folders are not read; pass it to ingest as a path of its own)",
        f"skipped {corpus / 'gone.md'}: broken symbolic link",
        f"skipped {corpus / 'loop.md'}: symbolic link loop",
        f"skipped {corpus / 'self'}: a sub-folder (sub-folders are not read; pass it to ingest as a path of its own)",
    }


def test_ingest_shows_what_it_skipped(tmp_path, small_settings):
    corpus = tmp_path / "corpus"
    shutil.copytree(small_settings.corpus_dir, corpus)
    (corpus / "loop.md").symlink_to(corpus / "loop.md")
    # --if-stale over the same files: the index is fresh, so no model loads, but the folder is read.
    result = _cli(small_settings, "ingest", "--if-stale", corpus_dir=corpus)
    assert result.returncode == 0 and b"Index is up to date" in result.stdout, result.stderr
    assert f"skipped {corpus / 'loop.md'}: symbolic link loop" in result.stderr.decode()


def _cli(settings, *args: str | bytes, stdin: bytes | None = None, corpus_dir=None, index_dir=None):
    env = dict(
        os.environ,
        SCORE_CORPUS_DIR=str(corpus_dir or settings.corpus_dir),
        SCORE_INDEX_DIR=str(index_dir or settings.index_dir),
        # Python's strict decoder, as under a UTF-8 locale: invalid bytes on stdin used to stop the run.
        PYTHONIOENCODING="utf-8:strict",
    )
    command = [str(Path(sys.executable).with_name("score-assistant")), *args]
    return subprocess.run(command, input=stdin, capture_output=True, env=env, timeout=180)


@pytest.mark.parametrize("command", ["ask", "search"])
def test_a_question_argument_that_is_not_utf8_is_refused_in_one_line(small_settings, command):
    result = _cli(small_settings, command, b"\xff energy")
    assert result.returncode == 2
    assert result.stderr.decode() == "error: the question holds characters that are not valid text (\\udcff)\n"


def test_ask_json_answers_an_invalid_utf8_line_with_an_error_object_and_goes_on(small_settings):
    stdin = b"Who paid for the training in Myanmar?\n\xff energy\nWhat did SCORE achieve in Vietnam?\n"
    result = _cli(small_settings, "ask", "--json", "-", stdin=stdin)
    assert result.returncode == 2, result.stderr  # one line failed
    rows = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert len(rows) == 3 and rows[0]["citations"] and "answer" in rows[2]
    assert rows[1] == {"question": "\\udcff energy", "error": "the question holds characters that are not valid text "
                       "(\\udcff)"}
