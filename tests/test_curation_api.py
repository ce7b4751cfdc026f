"""The curation JSON API and CLI with a real app, database and index: status codes (including role
refusals), grounded quotes, versions, the review queue, and published answers exported as a test set
that ``eval`` runs."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from assistant.cli import app as cli_app
from assistant.cli import eval as cli_eval
from assistant.evaluation.testsets import load_test_set
from assistant.qa.service import Assistant
from assistant.web.app import create_app
from tests.builders import database_with_accounts

PASSWORD = "correct horse battery"
MYANMAR = "After donor funding ended, 25 enterprises fully covered the training cost themselves."
ORIENTATION = "A free online orientation session attracted new clients."
PEOPLE = {"ann": "moderator", "bob": "moderator", "cy": "admin", "fay": "facilitator", "eve": "evaluator"}


@pytest.fixture
def site(small_settings, small_assistant, tmp_path):
    url, database, by_email = database_with_accounts(
        tmp_path, {f"{name}@example.org": role for name, role in PEOPLE.items()}, PASSWORD)
    ids = {name: by_email[f"{name}@example.org"] for name in PEOPLE}
    made = []

    def client(second_review: bool = False) -> TestClient:
        settings = small_settings.replace(database={"url": url}, web={"secret_key": "k" * 40,
                                                                      "require_second_review": second_review})
        test_client = TestClient(create_app(settings, small_assistant)).__enter__()
        made.append(test_client)
        return test_client

    client.ids = ids  # type: ignore[attr-defined]
    client.url = url  # type: ignore[attr-defined]
    yield client
    for test_client in made:
        test_client.__exit__(None, None, None)
    database.dispose()


def bearer(client: TestClient, name: str) -> dict[str, str]:
    response = client.post("/api/auth/token", json={"email": f"{name}@example.org", "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def myanmar_body(index, **fields) -> dict:
    chunk = next(c for c in index.chunks if MYANMAR in c.text)
    return {"question": "How did trainers in Myanmar sell SCORE?", "phrasings": ["myanmar trainers selling score"],
            "quotes": [{"chunk_id": chunk.chunk_id, "text": MYANMAR}], "note": "Ask the network.", **fields}


def test_roles_anonymous_and_unknown_ids(site, small_assistant):
    client = site()
    body = myanmar_body(small_assistant.index)
    for method, path in (("get", "/api/curated"), ("post", "/api/curated"), ("get", "/api/moderation/queue"),
                         ("post", "/api/curated/1/publish"), ("get", "/api/curated-testset.jsonl")):
        response = client.request(method.upper(), path, json=body if method == "post" else None)
        assert response.status_code == 401, (path, response.text)
    for name in ("fay", "eve"):
        headers = bearer(client, name)
        assert client.post("/api/curated", json=body, headers=headers).status_code == 403
        assert client.get("/api/moderation/queue", headers=headers).status_code == 403
        assert client.patch("/api/curated/1", json={"note": "x"}, headers=headers).status_code == 403
    assert client.get("/api/curated-testset.jsonl", headers=bearer(client, "eve")).status_code == 200
    assert client.get("/api/curated-testset.jsonl", headers=bearer(client, "fay")).status_code == 403
    ann = bearer(client, "ann")
    for method, path in (("get", "/api/curated/999"), ("post", "/api/curated/999/publish"),
                         ("get", "/api/curated/999/history"), ("post", "/api/moderation/queue/999/dismiss")):
        response = client.request(method.upper(), path, headers=ann, json={"reason": "x"})
        assert response.status_code == 404, (path, response.text)
    assert client.get(f"/api/curated/{2**64}", headers=ann).status_code == 422


def test_writing_editing_publishing_and_refusals(site, small_assistant):
    client = site()
    index = small_assistant.index
    ann, bob = bearer(client, "ann"), bearer(client, "bob")
    body = myanmar_body(index, note="<script>alert(1)</script> ask the network")
    created = client.post("/api/curated", json=body, headers=ann)
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["status"] == "draft" and made["version"] == 1 and made["note"].startswith("<script>")
    assert made["quotes"][0]["passage_sha256"] and made["quotes"][0]["heading_path"]

    wrong = {**body, "quotes": [{"chunk_id": body["quotes"][0]["chunk_id"], "text": "27 enterprises paid"}]}
    refused = client.post("/api/curated", json=wrong, headers=ann)
    assert refused.status_code == 422 and "quote 1 is not verbatim" in refused.json()["detail"]
    assert "27 enterprises paid" in refused.json()["detail"]
    unknown = client.post("/api/curated", json={**body, "quotes": [{"chunk_id": "nope", "text": MYANMAR}]}, headers=ann)
    assert unknown.status_code == 422 and "'nope'" in unknown.json()["detail"]
    assert client.post("/api/curated", json={**body, "quotes": []}, headers=ann).status_code == 422
    patched = client.patch(f"/api/curated/{made['id']}", json={"quotes": [*body["quotes"], {
        "chunk_id": body["quotes"][0]["chunk_id"], "text": ORIENTATION}]}, headers=bob)
    assert patched.status_code == 200 and patched.json()["version"] == 2 and len(patched.json()["quotes"]) == 2
    assert patched.json()["note"] == made["note"]  # PATCH: what is left out stays
    published = client.post(f"/api/curated/{made['id']}/publish", headers=ann)
    assert published.status_code == 200 and published.json()["status"] == "published"
    assert client.post(f"/api/curated/{made['id']}/publish", headers=ann).status_code == 409

    duplicate = client.post("/api/curated", json={**body, "question": "Another one",
                                                  "phrasings": ["How did trainers in Myanmar sell SCORE"]}, headers=bob)
    assert duplicate.status_code == 409 and f"published curated answer {made['id']}" in duplicate.json()["detail"]

    history = client.get(f"/api/curated/{made['id']}/history", headers=bob).json()
    assert [v["version"] for v in history["versions"]] == [1, 2] and ORIENTATION in history["diffs"][0]["diff"]
    assert client.get("/api/curated", params={"status": "published"}, headers=bob).json()[0]["id"] == made["id"]
    assert client.get("/api/curated", params={"status": "draft"}, headers=bob).json() == []
    retired = client.post(f"/api/curated/{made['id']}/retire", headers=bob)
    assert retired.status_code == 200 and retired.json()["status"] == "retired"
    placed = client.post("/api/curated", headers=ann, json={
        **body, "question": "Placed one", "phrasings": [], "region": "asia",
        "filters": {"module": "workplace cooperation"}})
    assert placed.status_code == 201, placed.text  # the index's spellings are kept
    assert placed.json()["region"] == "Asia" and placed.json()["filters"] == {"module": "Workplace Cooperation"}
    bad_filter = client.post("/api/curated", headers=ann, json={**body, "filters": {"module": "Basket weaving"}})
    assert bad_filter.status_code == 400 and "Workplace Cooperation" in bad_filter.json()["detail"]
    bad_region = client.post("/api/curated", headers=ann, json={**body, "region": "Atlantis"})
    assert bad_region.status_code == 400 and "Asia" in bad_region.json()["detail"]



def test_second_review_refuses_publishing_ones_own_draft(site, small_assistant):
    client = site(second_review=True)
    ann, cy = bearer(client, "ann"), bearer(client, "cy")
    body = myanmar_body(small_assistant.index)
    assert client.post("/api/curated", json={**body, "status": "published"}, headers=ann).status_code == 403
    made = client.post("/api/curated", json=body, headers=ann).json()
    refused = client.post(f"/api/curated/{made['id']}/publish", headers=ann)
    assert refused.status_code == 403 and "another moderator or admin" in refused.json()["detail"]
    assert client.post(f"/api/curated/{made['id']}/publish", headers=cy).status_code == 200


def test_the_queue_shows_items_with_their_turn_and_takes_actions(site, small_assistant):
    client = site()
    ann = bearer(client, "ann")
    first = client.post("/api/ask", json={"question": "What did Ghana prioritise?"}).json()
    asked = client.post("/api/ask", json={"question": "How many enterprises paid the full cost in Myanmar?",
                                          "conversation_id": first["conversation_id"]}).json()
    assert client.post("/api/feedback", json={"answer_id": asked["answer_id"], "rating": "down",
                                              "comment": "Missing the year"}).status_code == 201
    queue = client.get("/api/moderation/queue", params={"reason": "thumbs_down"}, headers=ann)
    assert queue.status_code == 200, queue.text
    [entry] = queue.json()
    item = entry["item"]
    assert item["detail"] == "Missing the year" and entry["turn"]["answer"]["citations"]
    assert entry["turn"]["answer"]["passages"] and [t["question"] for t in entry["earlier"]] == [
        "What did Ghana prioritise?"]
    assert client.get("/api/moderation/queue", params={"reason": "nonsense"}, headers=ann).status_code == 422

    ids = site.ids
    not_staff = client.post(f"/api/moderation/queue/{item['id']}/assign", json={"user_id": ids["fay"]}, headers=ann)
    assert not_staff.status_code == 422 and "not an active moderator or admin" in not_staff.json()["detail"]
    assigned = client.post(f"/api/moderation/queue/{item['id']}/assign", json={"user_id": ids["bob"]}, headers=ann)
    assert assigned.status_code == 200 and assigned.json()["assigned_to"] == ids["bob"]
    mine = client.get("/api/moderation/queue", params={"assigned_to": ids["bob"]}, headers=ann).json()
    assert [e["item"]["id"] for e in mine] == [item["id"]]

    made = client.post("/api/curated", json=myanmar_body(small_assistant.index), headers=ann).json()
    attached = client.post(f"/api/moderation/queue/{item['id']}/attach", json={"curated_id": made["id"]}, headers=ann)
    assert attached.status_code == 200
    assert "How many enterprises paid the full cost in Myanmar?" in [p["text"] for p in attached.json()["phrasings"]]
    assert client.get("/api/moderation/queue", params={"reason": "thumbs_down"}, headers=ann).json() == []
    again = client.post(f"/api/moderation/queue/{item['id']}/dismiss", json={"reason": "late"}, headers=ann)
    assert again.status_code == 409
    other = client.get("/api/moderation/queue", headers=ann).json()[0]["item"]["id"]
    assert client.post(f"/api/moderation/queue/{other}/dismiss", json={"reason": ""}, headers=ann).status_code == 422
    assert client.post(f"/api/moderation/queue/{other}/dismiss", json={"reason": "noise"},
                       headers=ann).json()["status"] == "dismissed"


def test_the_schema_documents_the_curation_routes(site):
    paths = site().get("/openapi.json").json()["paths"]
    assert set(paths["/api/curated"]["post"]["responses"]) >= {"201", "401", "403", "409", "422"}
    assert set(paths["/api/curated/{curated_id}"]["patch"]["responses"]) >= {"200", "401", "403", "404", "409", "422"}
    for path in ("/api/curated/{curated_id}/publish", "/api/curated/{curated_id}/retire",
                 "/api/curated/{curated_id}/history", "/api/moderation/queue",
                 "/api/moderation/queue/{item_id}/assign", "/api/moderation/queue/{item_id}/dismiss",
                 "/api/moderation/queue/{item_id}/attach", "/api/curated-testset.jsonl"):
        assert path in paths


def test_published_answers_export_as_a_test_set_that_eval_runs(site, small_settings, small_assistant, embedder,
                                                                monkeypatch, tmp_path):
    client = site()
    ann = bearer(client, "ann")
    index = small_assistant.index
    peru = next(c for c in index.chunks if "lead buyer" in c.text)
    client.post("/api/curated", json={**myanmar_body(index), "status": "published"}, headers=ann)
    lead_buyer = "A lead buyer financed the whole intervention for 30 of its small suppliers"
    client.post("/api/curated", headers=ann, json={
        "question": "Who paid for the suppliers' training in Peru?", "status": "published",
        "quotes": [{"chunk_id": peru.chunk_id, "text": lead_buyer}]})
    client.post("/api/curated", json={**myanmar_body(index), "question": "draft only", "phrasings": []}, headers=ann)
    monkeypatch.setenv("SCORE_DATABASE_URL", site.url)
    monkeypatch.setenv("SCORE_INDEX_DIR", str(small_settings.index_dir))
    runner = CliRunner()
    out = tmp_path / "curated.jsonl"
    exported = runner.invoke(cli_app, ["curation", "export-testset", str(out)])
    assert exported.exit_code == 0, exported.output
    cases = load_test_set(out)
    assert [c.question for c in cases] == ["How did trainers in Myanmar sell SCORE?", "myanmar trainers selling score",
                                           "Who paid for the suppliers' training in Peru?"]
    assert all(len(c.must_contain) == 1 and c.must_contain[0] in MYANMAR for c in cases[:2])
    assert cases[0].expected_sections == ["Myanmar"] and cases[2].expected_sections == ["Peru"]
    assert out.read_text(encoding="utf-8") == client.get("/api/curated-testset.jsonl", headers=ann).text

    monkeypatch.setattr(cli_eval, "make_assistant", lambda settings: Assistant(settings, embedder=embedder))
    report = runner.invoke(cli_app, ["eval", str(out), "--k", "3", "--index", str(small_settings.index_dir),
                                     "--out", str(tmp_path / "report"), "--json"])
    assert report.exit_code == 0, report.output
    metrics = json.loads(report.stdout)
    assert metrics["questions"] == 3 and metrics["hit@3"] > 0.5

    listed = runner.invoke(cli_app, ["curation", "list", "--status", "published"])
    assert listed.exit_code == 0 and listed.stdout.count("\tpublished\t") == 2
    checked = runner.invoke(cli_app, ["curation", "check", "--json"])
    assert checked.exit_code == 0 and json.loads(checked.stdout) == {"checked": 3, "changed_passages": 0, "flagged": []}
    assert runner.invoke(cli_app, ["curation", "list", "--status", "bogus"]).exit_code == 2
