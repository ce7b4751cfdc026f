"""The JSON API over the small real index and a real SQLite file: answers, errors, passages, feedback."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.qa.presenters import answer_dict
from assistant.web.app import create_app

MYANMAR = "How many enterprises paid the full training cost in Myanmar?"


@pytest.fixture
def client(small_settings, small_assistant, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    with TestClient(create_app(settings, small_assistant)) as client:
        yield client


def _without_timings(payload: dict) -> dict:
    return {key: value for key, value in payload.items() if key != "timings_ms"}


def test_ask_returns_the_answer_object_of_ask_json_plus_its_place(client, small_assistant):
    response = client.post("/api/ask", json={"question": MYANMAR})
    assert response.status_code == 200
    body = response.json()
    expected = _without_timings(answer_dict(small_assistant.ask(MYANMAR)))
    assert {key: body[key] for key in expected} == expected
    assert set(body["timings_ms"]) >= {"embed", "retrieve", "answer", "total"}
    assert len(body["conversation_id"]) == 32 and body["answer_id"] >= 1 and body["position"] == 1
    assert "25 enterprises fully covered the training cost" in body["answer"]
    assert body["citations"][0]["country"] == "Myanmar" and body["latency_ms"] > 0


def test_filters_are_applied_and_echoed(client):
    body = client.post(
        "/api/ask", json={"question": "How were enterprises trained?", "filters": {"country": "peru"}}
    ).json()
    assert body["filters"] == {"country": "Peru"}
    assert {p["country"] for p in body["passages"]} == {"Peru"}
    unfiltered = client.post("/api/ask", json={"question": "How were enterprises trained?", "filters": None})
    assert unfiltered.status_code == 200 and unfiltered.json()["filters"] == {}


def test_a_follow_up_is_read_with_the_conversation_topic(client):
    first = client.post("/api/ask", json={"question": "Which enterprises paid for the training themselves?"}).json()
    follow = client.post(
        "/api/ask", json={"question": "and in Peru?", "conversation_id": first["conversation_id"]}
    ).json()
    assert follow["follow_up_of"] == "Which enterprises paid for the training themselves?"
    assert follow["conversation_id"] == first["conversation_id"] and follow["position"] == 2
    assert follow["passages"][0]["country"] == "Peru"
    fresh = client.post("/api/ask", json={"question": "and in Peru?"}).json()
    assert fresh["follow_up_of"] is None


@pytest.mark.parametrize(
    ("payload", "status", "message"),
    [
        ({"question": "   "}, 400, "empty"),
        ({"question": "why " * 600}, 400, "the limit is 2000"),
        ({"question": "Hi?", "filters": {"country": "Atlantis"}}, 400, "unknown country 'Atlantis'. Valid values: Eg"),
        ({"question": "Hi?", "filters": {"colour": "blue"}}, 400, "unknown filter 'colour'; filters are: country"),
        ({"question": "Training?", "conversation_id": "nope"}, 404, "no conversation with id 'nope'"),
        ({"question": "Training?", "k": 0}, 422, "k: Input should be greater than or equal to 1"),
        ({"filters": {}}, 422, "question: Field required"),
    ],
)
def test_invalid_questions_get_a_4xx_with_a_clear_message(client, payload, status, message):
    response = client.post("/api/ask", json=payload)
    assert response.status_code == status
    assert message in response.json()["detail"]


def test_malformed_json_and_oversized_bodies_are_refused(client):
    malformed = client.post("/api/ask", content=b'{"question": ', headers={"content-type": "application/json"})
    assert malformed.status_code == 422
    assert malformed.json()["detail"].startswith("the request body is not valid JSON")
    big = client.post("/api/ask", json={"question": "x" * 70_000})
    assert big.status_code == 413 and "65536 bytes" in big.json()["detail"]

    def chunks():  # no Content-Length: the limit is enforced while the body streams in
        for _ in range(20):
            yield b" " * 4096

    streamed = client.post("/api/ask", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_search_returns_ranked_passages_with_canonical_filters(client):
    response = client.get("/api/search", params={"q": "training cost", "region": "asia", "k": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["filters"] == {"region": "Asia"} and len(body["passages"]) <= 2
    assert {p["region"] for p in body["passages"]} == {"Asia"}
    assert [p["rank"] for p in body["passages"]] == list(range(1, len(body["passages"]) + 1))
    assert client.get("/api/search", params={"q": "x", "module": "Basket weaving"}).status_code == 400
    assert client.get("/api/search").status_code == 422


def test_passage_comes_with_its_section_and_the_quoted_sentence(client, small_assistant):
    answer = client.post("/api/ask", json={"question": MYANMAR}).json()
    citation = answer["citations"][0]
    index = small_assistant.index
    positions = [
        index.sentences[row].position
        for row in index.sentence_rows[citation["chunk_id"]]
        if index.sentences[row].text in citation["quotes"]
    ]
    body = client.get(f"/api/passages/{citation['chunk_id']}", params={"hl": positions}).json()
    assert [h["text"] for h in body["highlights"]] == citation["quotes"]
    assert body["document"]["attribution"].startswith("ILO, Mini SCORE Update 2030")
    assert body["document"]["license"] == "CC BY 4.0"
    assert body["passage"]["heading_path"][-2:] == ["Myanmar", "Trainers sell SCORE without donors"]
    assert sum(block["is_passage"] for block in body["context"]) == 1
    passage_block = next(block for block in body["context"] if block["is_passage"])
    assert passage_block["text"] == body["passage"]["text"]
    assert body["location"].startswith("line")


def test_unknown_passage_is_a_404(client):
    response = client.get("/api/passages/0000000000000000")
    assert response.status_code == 404
    assert response.json()["detail"] == "no passage with id '0000000000000000' in the index"
    assert client.get("/api/passages/abc", params={"hl": "first"}).status_code == 422


def test_documents_and_facets_come_from_the_index(client, small_assistant):
    documents = {d["doc_id"]: d for d in client.get("/api/documents").json()}
    update = documents["mini-update"]
    assert update["title"] == "Mini SCORE Update 2030" and update["license"] == "CC BY 4.0"
    assert update["chunks"] == sum(1 for c in small_assistant.index.chunks if c.doc_id == "mini-update")
    assert "source_path" not in update
    facets = client.get("/api/facets").json()
    assert facets == small_assistant.facets()
    assert {"Egypt", "Ghana", "Myanmar", "Peru"} <= set(facets["country"])


def test_feedback_is_stored_with_its_answer(client):
    answer = client.post("/api/ask", json={"question": MYANMAR}).json()
    response = client.post(
        "/api/feedback", json={"answer_id": answer["answer_id"], "rating": "down", "comment": "Too short"}
    )
    assert response.status_code == 201 and response.json()["rating"] == "down"
    turn = client.get(f"/api/conversations/{answer['conversation_id']}").json()["turns"][0]
    assert [(f["rating"], f["comment"]) for f in turn["feedback"]] == [("down", "Too short")]
    assert client.post("/api/feedback", json={"answer_id": 999_999, "rating": "up"}).status_code == 404
    bad = client.post("/api/feedback", json={"answer_id": answer["answer_id"], "rating": "meh"})
    assert bad.status_code == 422 and "rating" in bad.json()["detail"]


def test_health_reports_index_model_and_counts(client, small_assistant):
    body = client.get("/healthz").json()
    assert body["status"] == "ok" and body["index_loaded"] and body["database"] == "ok"
    assert body["model"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert body["counts"]["chunks"] == len(small_assistant.index.chunks)


def test_openapi_documents_the_api(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/api/ask", "/api/search", "/api/passages/{chunk_id}", "/api/documents", "/api/facets",
            "/api/feedback", "/healthz"} <= set(paths)
    assert "/ask" not in paths  # the HTML form routes are not part of the API
    docs = client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()
