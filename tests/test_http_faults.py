"""HTTP faults over the small real index: a 500 keeps the security headers, HEAD answers like GET,
share links ignore the Host header, pages answer errors with HTML and the API with JSON, and the
OpenAPI schema documents the error bodies that are really sent."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient

from assistant.web.app import create_app, default_routers

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}  # what a browser sends for a page
HTMX = {"HX-Request": "true"}
MYANMAR = "How many enterprises paid the full training cost in Myanmar?"

failing = APIRouter()


@failing.get("/boom")
def boom() -> dict:
    raise RuntimeError("a bug")


@pytest.fixture
def client(small_settings, small_assistant, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    app = create_app(settings, small_assistant, routers=[*default_routers(), failing])
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _cited_passage(client: TestClient) -> str:
    answer = client.post("/api/ask", json={"question": MYANMAR}).json()
    chunk_id = answer["citations"][0]["chunk_id"]
    return f"/passages/{chunk_id}"


def test_a_server_error_carries_the_security_headers(client):
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal server error"}
    assert "default-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"


def test_head_answers_like_get_without_a_body(client):
    passage = _cited_passage(client)
    for path in ("/", "/api/facets", "/healthz", passage, f"/api{passage}"):
        get, head = client.get(path), client.head(path)
        assert head.status_code == get.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["content-type"] == get.headers["content-type"], path
        assert head.headers["content-security-policy"] == get.headers["content-security-policy"], path
    assert client.head("/api/ask").status_code == 405  # POST only: HEAD is refused as GET would be
    assert client.head("/c/" + "0" * 32).status_code == 404


def test_the_share_link_of_a_passage_ignores_the_host_header(client):
    passage = _cited_passage(client)
    page = client.get(f"{passage}?hl=0", headers={"Host": "attacker.example"})
    assert page.status_code == 200
    assert "attacker.example" not in page.text
    share = re.search(r'<p class="share"><a href="([^"]+)">Link to this passage', page.text).group(1)
    assert share == f"{passage}?hl=0"


@pytest.mark.parametrize(
    ("method", "path", "data", "status", "message"),
    [
        ("post", "/feedback", {"answer_id": "not-a-number", "rating": "up"}, 422, "answer_id"),
        ("post", "/feedback", {"answer_id": "1", "rating": "sideways"}, 400, "rating must be"),
        ("post", "/feedback", {"answer_id": "999999", "rating": "up"}, 404, "no such answer"),
        ("get", "/passages/0000?hl=first", None, 422, "hl.0"),
        ("get", "/passages/0000", None, 404, "no such passage"),
        ("get", "/no-such-page", None, 404, "Not Found"),
    ],
)
def test_pages_answer_errors_with_an_html_page(client, method, path, data, status, message):
    response = client.request(method.upper(), path, data=data, headers=HTML)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text and message in response.text
    assert '<a href="/">Start a new conversation</a>' in response.text


def test_page_errors_are_a_fragment_for_htmx_and_json_for_other_clients(client):
    fragment = client.get("/passages/0000?hl=first", headers=HTMX)
    assert fragment.status_code == 422 and fragment.headers["HX-Retarget"] == "#form-error"
    assert "<html" not in fragment.text and "hl.0" in fragment.text
    plain = client.get("/passages/0000?hl=first")  # no Accept: text/html, e.g. curl
    assert plain.status_code == 422 and plain.json()["detail"].startswith("query.hl.0:")


def test_the_api_answers_json_even_to_a_browser(client):
    for response in (
        client.post("/api/ask", json={"question": "Peru?", "k": True}, headers=HTML),
        client.get("/api/passages/0000", headers=HTML),
        client.get("/api/no-such-endpoint", headers=HTML),
        client.get("/api/search", params={"q": " "}, headers=HTML),
    ):
        assert response.status_code in (400, 404, 422)
        assert response.headers["content-type"] == "application/json"
        assert isinstance(response.json()["detail"], str)


def test_the_schema_documents_the_errors_that_are_sent(client):
    schema = client.get("/openapi.json").json()
    components = schema["components"]["schemas"]
    assert "HTTPValidationError" not in components  # FastAPI's list-shaped detail is not what is sent
    assert components["ValidationErrorBody"]["properties"]["detail"]["type"] == "string"
    paths = schema["paths"]
    documented = {
        ("/api/ask", "post"): {"200", "400", "404", "413", "422", "503"},
        ("/api/search", "get"): {"200", "400", "422"},
        ("/api/passages/{chunk_id}", "get"): {"200", "404", "422"},
        ("/api/feedback", "post"): {"201", "400", "404", "413", "422", "503"},
        ("/api/conversations/{conversation_id}", "get"): {"200", "404", "422", "503"},
    }
    for (path, method), statuses in documented.items():
        assert set(paths[path][method]["responses"]) == statuses, path
    question = components["AskRequest"]["properties"]["question"]
    assert (question["minLength"], question["maxLength"]) == (1, 2000)
    q = next(p for p in paths["/api/search"]["get"]["parameters"] if p["name"] == "q")
    assert (q["schema"]["minLength"], q["schema"]["maxLength"]) == (1, 2000)
    # A 422 body is what the schema says it is.
    refused = client.post("/api/ask", json={"question": "Peru?", "k": True}).json()
    assert set(refused) == {"detail", "errors"} and refused["errors"][0]["loc"] == ["body", "k"]
