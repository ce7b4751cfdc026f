"""Structured access logs: one JSON line per request with its id, method, path, status and latency."""

from __future__ import annotations

import json
import logging

import pytest
from fastapi import APIRouter, Request
from fastapi.testclient import TestClient

from assistant.web.access_log import LOGGER, request_id
from assistant.web.app import create_app, default_routers

probe = APIRouter()


@probe.get("/probe/request-id")
def seen_request_id(request: Request) -> dict[str, str]:
    return {"request_id": request.state.request_id}


@probe.get("/probe/boom")
def boom() -> None:
    raise RuntimeError("a bug")


@pytest.fixture
def client(small_settings, small_assistant, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    app = create_app(settings, small_assistant, routers=[*default_routers(), probe])
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def access_lines(caplog) -> list[dict]:
    return [json.loads(record.getMessage()) for record in caplog.records if record.name == LOGGER]


def test_each_request_logs_one_json_line_with_a_new_id_echoed_in_the_response(client, caplog):
    response = client.get("/api/facets")
    [line] = access_lines(caplog)
    assert set(line) == {"request_id", "method", "path", "status", "latency_ms"}
    assert (line["method"], line["path"], line["status"]) == ("GET", "/api/facets", 200)
    assert response.headers["X-Request-ID"] == line["request_id"] and len(line["request_id"]) == 32
    assert isinstance(line["latency_ms"], float) and line["latency_ms"] >= 0
    again = client.get("/api/facets")
    assert again.headers["X-Request-ID"] != response.headers["X-Request-ID"]  # one id per request


def test_a_sane_incoming_request_id_is_kept_and_routes_can_read_it(client, caplog):
    response = client.get("/probe/request-id", headers={"X-Request-ID": "lb-7f3a.c0ffee:2"})
    assert response.json() == {"request_id": "lb-7f3a.c0ffee:2"}
    assert response.headers["X-Request-ID"] == "lb-7f3a.c0ffee:2"
    assert access_lines(caplog)[0]["request_id"] == "lb-7f3a.c0ffee:2"


@pytest.mark.parametrize(
    "given", ["", "two words", "x" * 129, "-starts-with-a-dash", '{"status": 200}', "caf\xe9", "a\tb"]
)
def test_an_insane_incoming_request_id_is_replaced(given):
    replaced = request_id([(b"x-request-id", given.encode("latin-1"))])
    assert replaced != given and len(replaced) == 32


def test_an_insane_request_id_over_http_is_replaced_not_echoed(client, caplog):
    response = client.get("/api/facets", headers={"X-Request-ID": "spaces, commas and \"quotes\""})
    assert response.status_code == 200
    assert response.headers["X-Request-ID"] == access_lines(caplog)[0]["request_id"]
    assert "quotes" not in response.headers["X-Request-ID"]


def test_the_query_string_which_may_hold_a_question_is_not_logged(client, caplog):
    client.get("/api/search", params={"q": "a private question about Myanmar"})
    [line] = access_lines(caplog)
    assert line["path"] == "/api/search" and line["status"] == 200
    assert "Myanmar" not in caplog.text


def test_refusals_are_logged_with_their_status(client, caplog):
    assert client.get("/api/passages/no-such-chunk").status_code == 404
    assert client.post("/api/ask", json={"question": ""}).status_code in (400, 422)
    too_big = client.post("/api/ask", content=b"x" * (client.app.state.settings.web.max_body_bytes + 1),
                          headers={"Content-Type": "application/json"})
    assert too_big.status_code == 413 and too_big.headers["X-Request-ID"]
    statuses = [(line["method"], line["path"], line["status"]) for line in access_lines(caplog)]
    assert statuses[0] == ("GET", "/api/passages/no-such-chunk", 404)
    assert statuses[1][:2] == ("POST", "/api/ask") and statuses[1][2] in (400, 422)
    assert statuses[2] == ("POST", "/api/ask", 413)


def test_a_request_that_raises_is_logged_as_a_500(client, caplog):
    assert client.get("/probe/boom").status_code == 500
    [line] = access_lines(caplog)
    assert (line["path"], line["status"]) == ("/probe/boom", 500) and len(line["request_id"]) == 32
