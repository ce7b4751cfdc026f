"""A running app answers first from the published curated answers in its database: a paraphrase gets
the curated answer (with the documents' own answer after it), another country does not, and a retired
answer stops being served without a restart. Real model, small real index, SQLite."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from assistant.web.app import create_app
from tests.builders import database_with_accounts

PASSWORD = "correct horse battery"
SENTENCE = "A lead buyer financed the whole intervention for 30 of its small suppliers"
PUBLISHED = "How did a lead buyer in Peru pay for the SCORE training of its suppliers?"
PARAPHRASE = "In Peru, how did a lead buyer pay for the SCORE training of its suppliers?"


@pytest.fixture
def client(small_settings, small_assistant, tmp_path):
    url, database, _ = database_with_accounts(tmp_path, {"mod@example.org": "moderator"}, PASSWORD)
    database.dispose()
    settings = small_settings.replace(database={"url": url}, web={"secret_key": "k" * 40})
    with TestClient(create_app(settings, small_assistant)) as test_client:
        yield test_client


def ask(client: TestClient, question: str) -> dict:
    response = client.post("/api/ask", json={"question": question})
    assert response.status_code == 200, response.text
    return response.json()


def test_a_published_answer_is_served_first_until_it_is_retired(client, small_assistant):
    assert ask(client, PARAPHRASE)["origin"] == "extracted"  # nothing curated yet
    token = client.post("/api/auth/token", json={"email": "mod@example.org", "password": PASSWORD}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    chunk = next(c for c in small_assistant.index.chunks if SENTENCE in c.text)
    made = client.post("/api/curated", headers=headers, json={
        "question": PUBLISHED, "phrasings": [], "quotes": [{"chunk_id": chunk.chunk_id, "text": SENTENCE}],
        "note": "Ask the buyer's sourcing team first.", "country": "Peru", "status": "published"})
    assert made.status_code == 201, made.text
    curated_id = made.json()["id"]
    time.sleep(1.1)  # a worker reads the set of published answers again at most once a second

    answer = ask(client, PARAPHRASE)
    assert answer["origin"] == "curated", answer["answer"]
    assert answer["curated"]["id"] == curated_id and answer["curated"]["matched_phrasing"] == PUBLISHED
    assert answer["citations"][0]["quote"] == SENTENCE and "Ask the buyer's sourcing team first." in answer["answer"]
    assert answer["more"]["origin"] == "extracted"
    assert ask(client, PARAPHRASE.replace("Peru", "Egypt"))["origin"] == "extracted"

    assert client.post(f"/api/curated/{curated_id}/retire", headers=headers).status_code == 200
    time.sleep(1.1)
    assert ask(client, PARAPHRASE)["origin"] == "extracted"
