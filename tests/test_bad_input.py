"""Input that used to end in a server error gets a clear 4xx (or a one-line CLI error) instead."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from assistant.search.filters import QuestionError
from assistant.web.app import create_app

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
