"""The collections' API and pages with a real app, database and small index: who may see what, items
kept once, 404/413/422/409 as documented, share links read-only, exports that open, notes inert."""

from __future__ import annotations

import io
import re

import pytest
from docx import Document
from fastapi.testclient import TestClient
from pptx import Presentation
from typer.testing import CliRunner

from assistant.cli import app as cli_app
from assistant.db.accounts_store import AccountsStore
from assistant.db.audit import Actor
from assistant.db.collections_store import MAX_ITEMS, CollectionsStore, NewItem
from assistant.db.engine import Database
from assistant.web.app import create_app

PASSWORD = "correct horse battery"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
NOTE = '<script>alert("x")</script> {DDE "cmd" "/c calc"} =HYPERLINK("http://evil")'


@pytest.fixture(scope="module")
def site(small_settings, small_assistant, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('collections-api') / 'app.sqlite'}"
    database = Database(url)
    database.migrate()
    accounts = AccountsStore(database)
    users = {}
    for email, role in (("fac@example.org", "facilitator"), ("other@example.org", "facilitator"),
                        ("eval@example.org", "evaluator")):
        users[email] = accounts.add_user(email, role, PASSWORD, Actor("test"))
    settings = small_settings.replace(database={"url": url}, web={"secret_key": "a test key, long enough to sign"})
    with TestClient(create_app(settings, small_assistant), follow_redirects=False) as client:
        tokens = {email: client.post("/api/auth/token", json={"email": email, "password": PASSWORD}).json()["token"]
                  for email in users}
        yield client, tokens, users, CollectionsStore(database), small_assistant.index
    database.dispose()


def _as(tokens, email: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[email]}"}


def _chunk(index, words: str):
    return next(c for c in index.chunks if words in c.text)


def test_owner_builds_a_collection_and_others_get_404(site):
    client, tokens, _, _, index = site
    me, other = _as(tokens, "fac@example.org"), _as(tokens, "other@example.org")
    made = client.post("/api/collections", json={"title": "Who pays"}, headers=me)
    assert made.status_code == 201 and made.json()["title"] == "Who pays" and made.json()["shared"] is False
    cid = made.json()["id"]
    peru = _chunk(index, "lead buyer")
    add = client.post(f"/api/collections/{cid}/items", headers=me,
                      json={"chunk_id": peru.chunk_id, "quote": "A lead buyer financed the whole intervention",
                            "note": NOTE})
    assert add.status_code == 201 and add.json()["excerpt"]["text"].startswith("A lead buyer financed")
    again = client.post(f"/api/collections/{cid}/items", headers=me,
                        json={"chunk_id": peru.chunk_id, "quote": "A lead buyer financed the whole intervention"})
    assert again.status_code == 200 and again.json()["id"] == add.json()["id"]
    whole = client.post(f"/api/collections/{cid}/items", headers=me,
                        json={"chunk_id": _chunk(index, "grievance").chunk_id})
    assert whole.status_code == 201
    moved = client.patch(f"/api/collections/{cid}/items/{whole.json()['id']}", json={"position": 0}, headers=me)
    assert moved.status_code == 200 and moved.json()["position"] == 0
    got = client.get(f"/api/collections/{cid}", headers=me).json()
    assert [i["id"] for i in got["items"]] == [whole.json()["id"], add.json()["id"]]
    assert got["items"][1]["note"] == NOTE and got["items"][1]["source"]["changed"] is False
    assert [c["id"] for c in client.get("/api/collections", headers=me).json()] == [cid]

    for method, path, body in (("get", f"/api/collections/{cid}", None),
                               ("patch", f"/api/collections/{cid}", {"title": "x"}),
                               ("delete", f"/api/collections/{cid}", None),
                               ("post", f"/api/collections/{cid}/items", {"chunk_id": peru.chunk_id}),
                               ("patch", f"/api/collections/{cid}/items/{whole.json()['id']}", {"note": "mine"}),
                               ("post", f"/api/collections/{cid}/share", None),
                               ("get", f"/api/collections/{cid}/export?format=md", None)):
        answer = client.request(method.upper(), path, json=body, headers=other)
        assert answer.status_code == 404, (method, path, answer.text)
    assert client.get("/api/collections", headers=other).json() == []
    assert client.get("/api/collections", headers=_as(tokens, "eval@example.org")).status_code == 403
    assert client.get("/api/collections").status_code == 401


def test_bad_input_gets_a_clear_4xx(site):
    client, tokens, _, _, index = site
    me = _as(tokens, "fac@example.org")
    cid = client.post("/api/collections", json={"title": "Errors"}, headers=me).json()["id"]
    items = f"/api/collections/{cid}/items"
    assert client.post(items, json={"story_id": "no-such-story"}, headers=me).status_code == 404
    assert client.post(items, json={"chunk_id": "no-such-chunk"}, headers=me).status_code == 404
    peru = _chunk(index, "lead buyer").chunk_id
    wrong = client.post(items, json={"chunk_id": peru, "quote": "A lead buyer paid nothing"}, headers=me)
    assert wrong.status_code == 422 and "word for word" in wrong.json()["detail"]
    assert client.post(items, json={}, headers=me).status_code == 422
    assert client.post("/api/collections", json={"title": ""}, headers=me).status_code == 422
    fmt = client.get(f"/api/collections/{cid}/export", params={"format": "pdf"}, headers=me)
    assert fmt.status_code == 422 and all(name in fmt.json()["detail"] for name in ("docx", "pptx", "md"))
    assert client.get(f"/api/collections/{cid + 1000}", headers=me).status_code == 404
    # A document without a licence that allows reuse: the export is refused, naming it.
    manual = next(c for c in index.chunks if c.doc_id != _chunk(index, "lead buyer").doc_id)
    assert client.post(items, json={"chunk_id": manual.chunk_id}, headers=me).status_code == 201
    refused = client.get(f"/api/collections/{cid}/export", params={"format": "docx"}, headers=me)
    assert refused.status_code == 409 and "refused" in refused.json()["detail"]


def test_over_5000_items_is_413(site):
    client, tokens, users, store, index = site
    me = _as(tokens, "fac@example.org")
    cid = client.post("/api/collections", json={"title": "Everything"}, headers=me).json()["id"]
    base = NewItem("passage", "Peru", store_excerpt(index))
    many = [NewItem("passage", f"n{n}", base.excerpt.model_copy(update={"text": f"quote {n}"}))
            for n in range(MAX_ITEMS)]
    store.add_items(users["fac@example.org"].id, cid, many, Actor("test"))
    full = client.post(f"/api/collections/{cid}/items", json={"chunk_id": _chunk(index, "grievance").chunk_id},
                       headers=me)
    assert full.status_code == 413 and "5000" in full.json()["detail"]


def store_excerpt(index):
    from assistant.export.handouts import excerpt_from_chunk

    return excerpt_from_chunk(_chunk(index, "lead buyer"))


def test_a_shared_link_is_read_only_and_exports_open_with_the_note_inert(site):
    client, tokens, _, _, index = site
    me = _as(tokens, "fac@example.org")
    cid = client.post("/api/collections", json={"title": "Shared / ../ costs"}, headers=me).json()["id"]
    items = f"/api/collections/{cid}/items"
    client.post(items, json={"chunk_id": _chunk(index, "25 enterprises").chunk_id, "note": NOTE}, headers=me)
    url = client.post(f"/api/collections/{cid}/share", headers=me).json()["url"]
    assert url.startswith("/shared/") and client.post(f"/api/collections/{cid}/share", headers=me).json()["url"] == url

    page = client.get(url, headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Shared / ../ costs" in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;alert" in page.text
    assert "<form" not in page.text.split("<main", 1)[1].split("</main>")[0]  # nothing to change there
    assert client.post(url, data={"title": "taken"}).status_code == 405

    docx = client.get(f"{url}/export", params={"format": "docx"})
    assert docx.status_code == 200
    name = docx.headers["content-disposition"].split("filename=")[1].split(";")[0].strip('"')
    assert name.endswith(".docx") and "/" not in name and ".." not in name
    text = "\n".join(p.text for p in Document(io.BytesIO(docx.content)).paragraphs)
    assert NOTE in text and "25 enterprises fully covered the training cost" in text
    pptx = client.get(f"/api/collections/{cid}/export", params={"format": "pptx"}, headers=me)
    shapes = [s.text_frame.text for slide in Presentation(io.BytesIO(pptx.content)).slides
              for s in slide.shapes if s.has_text_frame]
    assert any(NOTE in t for t in shapes)
    md = client.get(f"/api/collections/{cid}/export", params={"format": "md"}, headers=me)
    assert "25 enterprises fully covered the training cost" in md.text and "<script>" not in md.text

    assert client.delete(f"/api/collections/{cid}/share", headers=me).status_code == 204
    assert client.get(url, headers={"Accept": "text/html"}).status_code == 404


def test_pages_add_a_selection_reorder_rename_duplicate_and_delete(site):
    client, _, _, _, index = site
    login = client.get("/login")
    client.post("/login", data={"email": "fac@example.org", "password": PASSWORD, "next": "/",
                                "csrf_token": CSRF_INPUT.search(login.text).group(1)})
    peru = _chunk(index, "lead buyer")
    sentences = index.sentences_of(peru.chunk_id)
    chooser = client.get("/collections/add", params={"chunk_id": peru.chunk_id, "hl": sentences[0].position})
    assert chooser.status_code == 200 and 'type="checkbox"' in chooser.text
    token = CSRF_INPUT.search(chooser.text).group(1)
    added = client.post("/collections/add", data={
        "csrf_token": token, "chunk_id": peru.chunk_id, "title": "Page made",
        "sentence": [s.position for s in sentences[:2]], "note": "Read aloud"})
    assert added.status_code == 303
    page_url = added.headers["location"].split("#")[0]
    cid = int(page_url.rsplit("/", 1)[1])
    page = client.get(page_url)
    assert page.status_code == 200 and "Read aloud" in page.text and sentences[1].text in page.text
    refused = client.post(f"/collections/{cid}/rename", data={"title": "No token"})
    assert refused.status_code == 403
    assert client.post(f"/collections/{cid}/rename", data={"title": "Renamed", "csrf_token": token}).status_code == 303
    copy = client.post(f"/collections/{cid}/duplicate", data={"csrf_token": token})
    assert "Renamed (copy)" in client.get(copy.headers["location"]).text
    assert client.post(f"/collections/{cid}/delete", data={"csrf_token": token}).status_code == 303
    assert client.get(page_url, headers={"Accept": "text/html"}).status_code == 404
    client.post("/logout", data={"csrf_token": token})


def test_the_cli_exports_a_collection_by_id(site, small_settings, monkeypatch, tmp_path):
    client, tokens, _, store, index = site
    me = _as(tokens, "fac@example.org")
    cid = client.post("/api/collections", json={"title": "From the terminal"}, headers=me).json()["id"]
    client.post(f"/api/collections/{cid}/items", json={"chunk_id": _chunk(index, "25 enterprises").chunk_id,
                                                       "note": "Said by the CLI"}, headers=me)
    monkeypatch.setenv("SCORE_DATABASE_URL", store.database.url)
    monkeypatch.setenv("SCORE_INDEX_DIR", str(small_settings.index_dir))
    monkeypatch.setenv("SCORE_CORPUS_DIR", str(small_settings.corpus_dir))
    out = tmp_path / "handout.docx"
    done = CliRunner().invoke(cli_app, ["export", "collection", str(cid), "--format", "docx", "-o", str(out)])
    assert done.exit_code == 0, done.output
    words = "\n".join(p.text for p in Document(io.BytesIO(out.read_bytes())).paragraphs)
    assert "Said by the CLI" in words and "25 enterprises fully covered" in words
    missing = CliRunner().invoke(cli_app, ["export", "collection", str(cid + 999), "--format", "md"])
    assert missing.exit_code == 2 and f"no collection with id {cid + 999}" in missing.output
    wrong = CliRunner().invoke(cli_app, ["export", "collection", str(cid), "--format", "pdf"])
    assert wrong.exit_code == 2 and "docx" in wrong.output
