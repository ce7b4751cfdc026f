"""The story library on the web: the /library pages (no JavaScript needed) and the /api/stories JSON,
over the bundled Annual Update and the real model; bad input, unknown ids and hostile documents."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient

from assistant.config import Settings
from assistant.ingest.build import ingest
from assistant.qa.service import Assistant
from assistant.web.app import create_app

HTML = {"accept": "text/html"}
HOSTILE = """\
# Hostile Update

## Latin America

### Peru

#### <script>alert('headline')</script> a factory wins

An owner wrote <img src=x onerror=alert(1)> on the board; 42 SMEs & "friends" joined <b>the</b> training.
"""


@pytest.fixture(scope="module")
def client(bundled_settings, bundled_assistant, tmp_path_factory):
    database = tmp_path_factory.mktemp("library-web") / "app.sqlite"
    settings = bundled_settings.replace(database={"url": f"sqlite:///{database}"})
    with TestClient(create_app(settings, bundled_assistant)) as client:
        yield client


def _story_id(client, **filters) -> str:
    return client.get("/api/stories", params=filters).json()["items"][0]["id"]


def test_library_page_lists_stories_with_filters_and_counts(client):
    page = client.get("/library", headers=HTML)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    total = client.get("/api/stories").json()["total"]
    assert f"Stories 1–{min(total, 20)} of {total}" in page.text
    assert '<select id="library-country" name="country">' in page.text
    assert re.search(r'<option value="Albania">Albania \(1\)</option>', page.text)
    assert re.search(r'<option value="Workplace Cooperation">Workplace Cooperation \(\d+\)</option>', page.text)
    assert '<a class="nav-library" href="/library">' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]


def test_library_page_filters_without_javascript(client):
    page = client.get("/library", params={"country": "Albania", "module": "SCORE Basics"}, headers=HTML)
    assert page.status_code == 200
    assert "Successful SCORE pilot in the textile and clothing sector" in page.text
    assert "Promoting gender equality among garment" not in page.text  # India's story
    assert '<option value="Albania" selected>' in page.text
    first = client.get("/library", params={"limit": 5, "sort": "country"}, headers=HTML)
    assert 'href="/library?sort=country&amp;limit=5&amp;offset=5"' in first.text
    assert "Previous" not in first.text
    second = client.get("/library", params={"limit": 5, "sort": "country", "offset": 5}, headers=HTML)
    assert "Previous" in second.text and "Stories 6–10" in second.text


def test_library_page_search(client):
    page = client.get("/library", params={"q": "a 5S success in a warehouse"}, headers=HTML)
    cards = re.findall(r'<span class="country">([^<]+)</span>', page.text)
    assert cards[0] == "Albania"
    assert 'value="a 5S success in a warehouse"' in page.text


def test_story_page_shows_text_figures_credit_and_links(client):
    story_id = _story_id(client, country="Ghana")
    page = client.get(f"/library/{story_id}", headers=HTML)
    assert page.status_code == 200
    assert "<mark>Over a period of six months, a total of 272 SMEs" in page.text
    assert "ILO, SCORE Annual Update 2023-24" in page.text and "Licence: CC BY 4.0." in page.text
    assert re.search(r'href="/passages/[0-9a-f]{16}(\?hl=\d+(&amp;hl=\d+)*)?">Open this passage in context', page.text)
    for fmt in ("docx", "pptx", "md"):
        assert f'href="/api/stories/{story_id}/export?format={fmt}"' in page.text
    assert f'href="/library/{story_id}">Link to this story' in page.text
    passage = re.search(r'href="(/passages/[^"]+)">Open this passage', page.text).group(1).replace("&amp;", "&")
    assert client.get(passage, headers=HTML).status_code == 200


def test_api_lists_and_returns_stories(client):
    body = client.get("/api/stories", params={"region": "Asia", "limit": 3}).json()
    assert set(body) >= {"total", "items", "facets"} and len(body["items"]) == 3 and body["total"] > 3
    item = body["items"][0]
    assert set(item) >= {"id", "country", "region", "headline", "modules", "topics", "figures", "doc_id", "url"}
    assert item["region"] == "Asia" and item["url"] == f"/library/{item['id']}"
    assert sum(body["facets"]["country"].values()) == body["total"]
    story = client.get(f"/api/stories/{item['id']}").json()
    assert story["headline"] == item["headline"] and story["document"]["license"] == "CC BY 4.0"
    assert story["passages"] and all(p["text"] and p["url"].startswith("/passages/") for p in story["passages"])
    schema = client.get("/openapi.json").json()["paths"]
    assert "/api/stories" in schema and "/api/stories/{story_id}" in schema


def test_unknown_ids_and_bad_filters(client):
    missing = client.get("/api/stories/0000")
    assert missing.status_code == 404 and "no story with id '0000'" in missing.json()["detail"]
    assert client.get("/library/0000", headers=HTML).status_code == 404
    bad = client.get("/api/stories", params={"country": "Atlantis"})
    assert bad.status_code == 400 and "Valid values:" in bad.json()["detail"] and "Peru" in bad.json()["detail"]
    assert client.get("/api/stories", params={"year": "1850"}).status_code == 400
    page = client.get("/library", params={"module": "Juggling"}, headers=HTML)
    assert page.status_code == 400 and "unknown module" in page.text and "<html" in page.text
    assert client.get("/api/stories", params={"limit": 1000}).status_code == 422
    assert client.get("/api/stories", params={"sort": "newest"}).status_code == 422
    assert client.get("/api/stories", params={"q": "\x00"}).status_code == 422  # not text
    assert client.get("/api/stories", params={"q": "x" * 2001}).status_code == 422


def test_login_policy_applies(bundled_settings, bundled_assistant, tmp_path):
    settings = bundled_settings.replace(
        database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"}, web={"require_login": True}
    )
    with TestClient(create_app(settings, bundled_assistant)) as locked:
        assert locked.get("/api/stories").status_code == 401
        page = locked.get("/library", headers=HTML, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_hostile_documents_stay_text(tmp_path, embedder):
    (tmp_path / "corpus").mkdir()
    (tmp_path / "corpus" / "hostile.md").write_text(HOSTILE, encoding="utf-8")
    settings = Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index",
                        database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    assert ingest(settings, embedder=embedder).ok
    with TestClient(create_app(settings, Assistant(settings, embedder=embedder))) as hostile:
        listing = hostile.get("/library", headers=HTML).text
        story_id = hostile.get("/api/stories").json()["items"][0]["id"]
        page = hostile.get(f"/library/{story_id}", headers=HTML).text
    for html in (listing, page):
        assert "<script>alert" not in html and "<img src=x" not in html and "<b>the</b>" not in html
        assert "&lt;script&gt;alert(" in html
    assert "<mark>An owner wrote &lt;img src=x onerror=alert(1)&gt; on the board; 42 SMEs &amp; " in page


def test_stories_command(bundled_settings):
    """``score-assistant stories``: the same stories and refusals as the API, as lines or JSON."""
    from tests.test_cli import run

    listed = run(bundled_settings, "stories", "--module", "workplace cooperation")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines and all("[" in line and "Workplace Cooperation" in line for line in lines)
    assert f"of {len(lines)} stories" in listed.stderr
    found = run(bundled_settings, "stories", "--q", "a 5S success in a warehouse", "--limit", "3", "--json")
    body = json.loads(found.stdout)
    assert body["items"][0]["country"] == "Albania" and len(body["items"]) == 3 and "facets" in body
    refused = run(bundled_settings, "stories", "--country", "Atlantis")
    assert refused.returncode == 2 and "unknown country 'Atlantis'" in refused.stderr and not refused.stdout
