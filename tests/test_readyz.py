"""Liveness and readiness: ``/healthz`` (the process is up) and ``/readyz`` (index loaded, database
reachable, migrations at head), and what a database outage does to requests, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi.testclient import TestClient

from assistant.db.engine import head_revision
from assistant.web.app import create_app

pytest_plugins = ["tests.postgres_server"]

QUESTION = "Which enterprises paid for the training themselves?"


def test_ready_when_the_index_the_database_and_the_migrations_are(small_settings, small_assistant, database_url):
    settings = small_settings.replace(database={"url": database_url})
    with TestClient(create_app(settings, small_assistant)) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["index"]["ok"] and body["checks"]["index"]["build"] == small_assistant.index.path.name
    assert body["checks"]["database"] == {"ok": True, "backend": database_url.split(":")[0].split("+")[0]}
    assert body["checks"]["migrations"] == {"ok": True, "current": head_revision(), "head": head_revision()}


def test_not_ready_before_the_database_is_upgraded(small_settings, small_assistant, database_url):
    settings = small_settings.replace(database={"url": database_url})
    with TestClient(create_app(settings, small_assistant, migrate=False)) as client:
        response = client.get("/readyz")
        assert client.get("/healthz").status_code == 200  # up, just not ready
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"] and body["checks"]["migrations"]["current"] is None
    assert "score-assistant db upgrade" in body["detail"]


def test_a_stopped_database_gives_503_and_the_service_recovers(small_settings, small_assistant, own_postgres):
    settings = small_settings.replace(database={"url": own_postgres.new_database()})
    with TestClient(create_app(settings, small_assistant)) as client:
        first = client.post("/api/ask", json={"question": QUESTION})
        assert first.status_code == 200 and client.get("/readyz").status_code == 200
        conversation_id = first.json()["conversation_id"]

        own_postgres.stop()
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.json()["failed"] == ["database", "migrations"]
        assert "unreachable" in ready.json()["detail"]
        assert client.get("/healthz").status_code == 200  # liveness does not depend on the database
        for body in ({"question": QUESTION}, {"question": "and in Peru?", "conversation_id": conversation_id}):
            refused = client.post("/api/ask", json=body)
            assert refused.status_code == 503, refused.text
            assert refused.json() == {"detail": "the database is unavailable; the request was not carried out, "
                                                "try again shortly"}
            assert refused.headers["retry-after"] == "5"
        history = client.get(f"/api/conversations/{conversation_id}")
        assert history.status_code == 503 and "Traceback" not in history.text

        own_postgres.start()
        assert client.get("/readyz").status_code == 200
        again = client.post("/api/ask", json={"question": "and in Peru?", "conversation_id": conversation_id})
        assert again.status_code == 200 and again.json()["position"] == 2
        stored = client.get(f"/api/conversations/{conversation_id}").json()["turns"]
        assert [t["question"] for t in stored] == [QUESTION, "and in Peru?"]
