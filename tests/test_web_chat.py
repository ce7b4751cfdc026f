"""The HTML chat without a browser: forms with and without htmx, errors, and untrusted text kept inert."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.ingest.build import ingest
from assistant.qa.service import Assistant
from assistant.web.app import create_app
from assistant.web.views import render_answer

HTMX = {"HX-Request": "true"}
MYANMAR = "How many enterprises paid the full training cost in Myanmar?"

HOSTILE_UPDATE = """\
# Hostile <script>alert("title")</script> Update

## Asia

### Myanmar

#### Whiteboard <img src=x onerror=alert(1)> sales

Trainers in Myanmar wrote <script>alert("xss")</script> on the whiteboard to sell the training to enterprises.
Enterprises paid for the training after a <a href="javascript:alert(2)">demo</a> and [a link](javascript:alert(3)).
"""


class Tags(HTMLParser):
    """Every start tag with its attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def assert_no_inline_code(html: str) -> None:
    for tag, attrs in tags(html):
        assert tag != "script" or attrs.get("src", "").startswith("/static/"), f"inline or foreign script: {attrs}"
        assert tag != "style", "inline <style>"
        assert "style" not in attrs, f"style attribute on <{tag}>"
        handlers = [name for name in attrs if name.startswith("on") or name.startswith("hx-on")]
        assert not handlers, f"event handler attribute on <{tag}>: {handlers}"
        for name in ("href", "src", "action"):
            assert not (attrs.get(name) or "").lower().startswith("javascript:")


@pytest.fixture
def client(small_settings, small_assistant, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    with TestClient(create_app(settings, small_assistant)) as client:
        yield client


@pytest.fixture(scope="module")
def hostile_assistant(tmp_path_factory, embedder) -> Assistant:
    base = tmp_path_factory.mktemp("hostile")
    (base / "corpus").mkdir()
    (base / "corpus" / "hostile.md").write_text(HOSTILE_UPDATE, encoding="utf-8")
    settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index")
    assert ingest(settings, embedder=embedder).ok
    return Assistant(settings, embedder=embedder)


def test_empty_chat_shows_example_questions_and_labelled_filters(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "How did trainers get enterprises to pay for the training?" in page.text
    found = tags(page.text)
    labels = {attrs["for"] for tag, attrs in found if tag == "label"}
    controls = {attrs["id"] for tag, attrs in found if tag in ("select", "textarea")}
    assert {"question", "filter-country", "filter-region", "filter-module", "filter-document"} <= controls <= labels
    assert '<option value="Peru">Peru (' in page.text and "Mini SCORE Update 2030 (" in page.text
    assert_no_inline_code(page.text)


def test_plain_form_post_redirects_to_the_conversation_page(client):
    response = client.post("/ask", data={"question": MYANMAR, "country": "", "region": ""}, follow_redirects=False)
    assert response.status_code == 303
    location = response.headers["location"]
    assert re.fullmatch(r"/c/[0-9a-f]{32}#answer-\d+", location)
    page = client.get(location.split("#")[0])
    assert MYANMAR in page.text and "25 enterprises fully covered the training cost" in page.text
    links = [attrs for tag, attrs in tags(page.text) if tag == "a" and attrs.get("class") == "cite"]
    assert links and links[0]["href"].startswith("/passages/") and "hl=" in links[0]["href"]
    assert "Myanmar</span> · " in page.text and "Mini SCORE Update 2030" in page.text and "line" in page.text
    assert f'value="{location[3:35]}"' in page.text  # the next question continues this conversation
    assert "Try one of these questions" not in page.text
    assert_no_inline_code(page.text)


def test_htmx_post_returns_the_turn_fragment_and_the_new_address(client):
    response = client.post("/ask", data={"question": MYANMAR}, headers=HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Push-Url"].startswith("/c/")
    assert "<html" not in response.text and 'class="turn"' in response.text
    assert 'id="conversation-id"' in response.text and 'hx-swap-oob="true"' in response.text
    assert 'id="examples" hx-swap-oob="delete"' in response.text
    conversation_id = response.headers["HX-Push-Url"][3:]
    follow = client.post("/ask", data={"question": "and in Peru?", "conversation_id": conversation_id}, headers=HTMX)
    assert "Follow-up to “How many enterprises paid the full training cost in Myanmar?”" in follow.text
    assert 'hx-swap-oob="delete"' not in follow.text


def test_active_filters_are_shown_on_the_answer_and_kept_in_the_form(client):
    response = client.post("/ask", data={"question": "How were enterprises trained?", "country": "Peru"})
    assert response.status_code == 200  # followed the redirect
    assert '<li class="chip">Country: Peru</li>' in response.text
    assert '<option value="Peru" selected>' in response.text


def test_errors_keep_what_the_trainer_typed(client):
    long_question = "Why " + "really " * 400
    page = client.post("/ask", data={"question": long_question})
    assert page.status_code == 400
    assert "the limit is 2000" in page.text and long_question.strip() in page.text
    fragment = client.post("/ask", data={"question": "Training?", "country": "Atlantis"}, headers=HTMX)
    assert fragment.status_code == 400
    assert fragment.headers["HX-Retarget"] == "#form-error" and "unknown country" in fragment.text
    gone = client.post("/ask", data={"question": "Training?", "conversation_id": "f" * 32}, headers=HTMX)
    assert gone.status_code == 404 and "no longer exists" in gone.text


def test_abstention_says_so_and_shows_the_closest_passages(client):
    page = client.post("/ask", data={"question": "Who won the football world cup in 2022?"})
    assert "I could not find an answer in the SCORE documents" in page.text
    assert 'class="answer abstained"' in page.text and "Closest passages" in page.text
    assert page.text.count('class="passage-item"') >= 1


def test_feedback_without_and_with_javascript(client):
    page = client.post("/ask", data={"question": MYANMAR})
    answer_id = re.search(r'name="answer_id" value="(\d+)"', page.text).group(1)
    response = client.post("/feedback", data={"answer_id": answer_id, "rating": "up", "comment": ""},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith(f"#answer-{answer_id}")
    assert "You rated this answer useful." in client.get(response.headers["location"].split("#")[0]).text
    fragment = client.post("/feedback", data={"answer_id": answer_id, "rating": "down", "comment": "Vague"},
                           headers=HTMX)
    assert "Thank you! You rated this answer not useful." in fragment.text and "<html" not in fragment.text
    assert client.post("/feedback", data={"answer_id": answer_id, "rating": ""}).status_code == 400
    assert client.post("/feedback", data={"answer_id": "999999", "rating": "up"}).status_code == 404


def test_passage_page_highlights_the_quote_and_credits_the_source(client):
    page = client.post("/ask", data={"question": MYANMAR})
    href = next(attrs["href"] for tag, attrs in tags(page.text) if tag == "a" and attrs.get("class") == "cite")
    passage = client.get(href)
    assert passage.status_code == 200 and "<html" in passage.text
    assert "<mark>After donor funding ended, 25 enterprises fully covered the training cost themselves.</mark>" in (
        passage.text
    )
    assert "ILO, Mini SCORE Update 2030 (test fixture). CC BY 4.0." in passage.text
    assert "Licence: CC BY 4.0" in passage.text
    panel = client.get(href, headers={**HTMX, "HX-Target": "passage-panel"})
    assert "<html" not in panel.text and "<mark>" in panel.text and "data-close-panel" in panel.text
    assert client.get("/passages/0000000000000000").status_code == 404
    assert client.get("/c/" + "0" * 32).status_code == 404


def test_security_headers_forbid_inline_scripts(client):
    for path in ("/", "/api/facets", "/healthz"):
        policy = client.get(path).headers["content-security-policy"]
        assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    assert client.get("/").headers["x-content-type-options"] == "nosniff"


def test_markdown_is_rendered_safely():
    html = render_answer('**Peru**\n- “<script>alert(1)</script> [x](javascript:alert(2)) ![i](/x.png)” [1] [7]',
                         {1: "/passages/abc?hl=0"})
    assert "<strong>Peru</strong>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script" not in html
    assert 'href="javascript' not in html and "<img" not in html
    assert '<a href="/passages/abc?hl=0" class="cite" aria-label="Source 1">[1]</a>' in html
    assert "[7]" in html and html.count("<a ") == 1  # no citation 7: left as text


def test_untrusted_question_and_document_text_never_become_markup(hostile_assistant, tmp_path):
    settings = hostile_assistant.settings.replace(database={"url": f"sqlite:///{tmp_path / 'h.sqlite'}"})
    question = '<script>alert("q")</script> What did trainers in Myanmar write on the whiteboard?'
    with TestClient(create_app(settings, hostile_assistant)) as client:
        page = client.post("/ask", data={"question": question})
        assert page.status_code == 200
        assert '&lt;script&gt;alert(&#34;q&#34;)&lt;/script&gt;' in page.text
        assert '&lt;script&gt;alert(&quot;xss&quot;)&lt;/script&gt;' in page.text  # the quoted document sentence
        assert_no_inline_code(page.text)
        href = next(attrs["href"] for tag, attrs in tags(page.text) if tag == "a" and attrs.get("class") == "cite")
        passage = client.get(href)
        assert "&lt;script&gt;" in passage.text and "&lt;img src=x onerror=alert(1)&gt;" in passage.text
        assert_no_inline_code(passage.text)
        assert client.get("/").text.count("<script") == 2  # htmx and app.js, nothing from the corpus
        api = client.post("/api/ask", json={"question": question}).json()
        assert '<script>alert("xss")</script>' in api["answer"]  # JSON carries the text as text


def test_web_dir_is_configurable(small_settings, small_assistant, tmp_path):
    from assistant.templating import WebFilesMissing

    with pytest.raises(WebFilesMissing, match="SCORE_WEB_DIR"):
        create_app(small_settings.replace(web={"web_dir": tmp_path}), small_assistant)
    assert (Path(__file__).resolve().parent.parent / "web" / "static" / "htmx.min.js").is_file()
