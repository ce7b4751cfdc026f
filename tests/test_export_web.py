"""The export endpoints over the bundled Annual Update: a story or a chat answer as a download,
named safely, with its credit line; unknown ids, formats and refused licences get a clear 4xx."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from docx import Document
from fastapi.testclient import TestClient
from pptx import Presentation

from assistant.config import Settings
from assistant.export.attribution import credit_line
from assistant.export.render import FORMATS, safe_filename
from assistant.ingest.build import ingest
from assistant.qa.service import Assistant
from assistant.web.app import create_app
from tests.builders import SMALL_UPDATE

HTMX = {"HX-Request": "true"}
QUESTION = "How did other countries cover the cost of SCORE training?"


@pytest.fixture(scope="module")
def client(bundled_settings, bundled_assistant, tmp_path_factory):
    database = tmp_path_factory.mktemp("export-web") / "app.sqlite"
    settings = bundled_settings.replace(database={"url": f"sqlite:///{database}"})
    with TestClient(create_app(settings, bundled_assistant)) as client:
        yield client


def _story(client, country: str) -> dict:
    return client.get("/api/stories", params={"country": country}).json()["items"][0]


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_a_story_downloads_as_a_named_file_with_its_credit_line(client, bundled_assistant, fmt):
    story = _story(client, "Myanmar")
    response = client.get(f"/api/stories/{quote(story['id'], safe='')}/export", params={"format": fmt})
    assert response.status_code == 200 and response.headers["content-type"] == FORMATS[fmt]
    name = safe_filename(f"Myanmar: {story['headline']}", fmt)
    assert f"filename*=UTF-8''{quote(name, safe='')}" in response.headers["content-disposition"]
    assert response.headers["content-disposition"].startswith("attachment; filename=")
    credit = credit_line(bundled_assistant.index.documents[story["doc_id"]])
    if fmt == "docx":
        text = "\n".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    elif fmt == "pptx":
        deck = Presentation(io.BytesIO(response.content))
        text = "\n".join(s.text_frame.text for slide in deck.slides for s in slide.shapes if s.has_text_frame)
    else:
        text = response.content.decode().replace("\\", "")
    assert credit.split(" Licensed")[0] in text and "CC BY 4.0" in text
    assert "at least 19 enterprises fully covered the training cost" in " ".join(text.split())


def test_a_story_downloads_as_docx_by_default(client):
    story = _story(client, "Albania")
    response = client.get(f"/api/stories/{quote(story['id'], safe='')}/export")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert response.headers["content-type"] == FORMATS["docx"]


def test_an_unknown_story_or_format_gets_a_clear_4xx(client):
    missing = client.get("/api/stories/no-such-story/export", params={"format": "md"})
    assert missing.status_code == 404 and "no-such-story" in missing.json()["detail"]
    story = _story(client, "Myanmar")
    wrong = client.get(f"/api/stories/{quote(story['id'], safe='')}/export", params={"format": "pdf"})
    assert wrong.status_code == 422
    assert all(f"'{fmt}'" in wrong.json()["detail"] for fmt in FORMATS)


def test_an_answer_downloads_with_every_quote_of_its_citations(client):
    turn = client.post("/api/ask", json={"question": QUESTION}).json()
    assert turn["citations"]
    response = client.get(f"/api/answers/{turn['answer_id']}/export", params={"format": "docx"})
    assert response.status_code == 200
    text = " ".join(p.text for p in Document(io.BytesIO(response.content)).paragraphs)
    assert all(q in text for c in turn["citations"] for q in (c["quotes"] or [c["quote"]]))
    assert safe_filename(QUESTION, "docx") in response.headers["content-disposition"].replace("%20", " ")
    markdown = client.get(f"/api/answers/{turn['answer_id']}/export", params={"format": "md"})
    assert markdown.status_code == 200 and markdown.headers["content-type"] == FORMATS["md"]


def test_an_unknown_or_empty_answer_gets_a_clear_4xx(client):
    assert client.get("/api/answers/999999/export").status_code == 404
    assert client.get("/api/answers/abc/export").status_code == 422
    abstained = client.post("/api/ask", json={"question": "What is the capital of the Moon's oldest bakery?"}).json()
    if abstained["citations"]:
        pytest.skip("the question was answered; no abstention to export")
    response = client.get(f"/api/answers/{abstained['answer_id']}/export")
    assert response.status_code == 422 and "nothing to export" in response.json()["detail"]


def test_the_chat_offers_to_export_an_answer(client):
    page = client.post("/ask", data={"question": QUESTION}, headers=HTMX)
    assert page.status_code == 200 and "Export this answer" in page.text
    answer_id = page.text.split('id="answer-')[1].split('"')[0]
    for fmt in FORMATS:
        assert f'href="/api/answers/{answer_id}/export?format={fmt}"' in page.text


def test_the_openapi_schema_documents_the_exports(client):
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/api/stories/{story_id}/export", "/api/answers/{answer_id}/export"):
        route = paths[path]["get"]
        assert {"200", "404", "409", "422"} <= set(route["responses"])
        formats = next(p for p in route["parameters"] if p["name"] == "format")["schema"]
        assert formats["enum"] == list(FORMATS)


def test_a_document_that_may_not_be_reused_is_refused_by_name(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "mini-update.md").write_text(SMALL_UPDATE, encoding="utf-8")
    (corpus / "catalog.toml").write_text(
        '["mini-update.md"]\ntitle = "Mini SCORE Update 2030"\nlicense = "CC BY 4.0"\nreuse = false\n', encoding="utf-8"
    )
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    assert ingest(settings, embedder=embedder).ok
    settings = settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    with TestClient(create_app(settings, Assistant(settings, embedder=embedder))) as client:
        question = "How many enterprises paid the training cost in Myanmar?"
        turn = client.post("/api/ask", json={"question": question}).json()
        assert turn["citations"]
        refused = client.get(f"/api/answers/{turn['answer_id']}/export", params={"format": "pptx"})
        assert refused.status_code == 409
        assert "Mini SCORE Update 2030" in refused.json()["detail"] and "reuse = false" in refused.json()["detail"]
        story = client.get("/api/stories").json()["items"][0]
        by_story = client.get(f"/api/stories/{quote(story['id'], safe='')}/export", params={"format": "md"})
        assert by_story.status_code == 409 and "Mini SCORE Update 2030" in by_story.json()["detail"]


def _cli(settings, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, SCORE_CORPUS_DIR=str(settings.corpus_dir), SCORE_INDEX_DIR=str(settings.index_dir))
    command = [sys.executable, "-m", "assistant.cli", "export", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_the_cli_exports_a_story_to_a_file(client, bundled_settings, tmp_path):
    story = _story(client, "Myanmar")
    out = tmp_path / "myanmar.md"
    done = _cli(bundled_settings, "story", story["id"], "--format", "md", "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "at least 19 enterprises fully covered the training cost" in out.read_text(encoding="utf-8")
    named = _cli(bundled_settings, "story", story["id"], "--format", "pptx", cwd=tmp_path)
    assert named.returncode == 0 and (tmp_path / safe_filename(f"Myanmar: {story['headline']}", "pptx")).is_file()
    wrong = _cli(bundled_settings, "story", story["id"], "--format", "pdf", cwd=tmp_path)
    assert wrong.returncode == 2 and "valid formats: docx, pptx, md" in wrong.stderr
    missing = _cli(bundled_settings, "story", "no-such-story", cwd=tmp_path)
    assert missing.returncode == 2 and "no-such-story" in missing.stderr
