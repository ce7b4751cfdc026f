"""A facilitator's collection in a real browser (Chromium through Playwright) over a real server: browse
the library by country and by module, open stories and add two of them, add a chat citation, reorder,
write a note, download DOCX and PPTX (opened with python-docx and python-pptx); a second facilitator
gets 404 until the collection is shared, then reads it through the link and can change nothing."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from docx import Document
from playwright.sync_api import expect
from pptx import Presentation

from assistant.db.accounts_store import AccountsStore
from assistant.db.audit import Actor
from assistant.db.engine import Database
from assistant.web.app import create_app
from tests.test_web_browser import _free_port, _page, browser  # noqa: F401  (the shared Chromium)

pytestmark = pytest.mark.slow

OWNER, OTHER, PASSWORD = "fac@example.org", "colleague@example.org", "correct horse battery"
NOTE = "Ask the group who paid in their country <script>x</script>"
ARTIFACTS = Path(__file__).parent / "artifacts"


@pytest.fixture(scope="module")
def site(small_settings, small_assistant, tmp_path_factory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('collections-browser') / 'app.sqlite'}"
    database = Database(url)
    database.migrate()
    accounts = AccountsStore(database)
    for email in (OWNER, OTHER):
        accounts.add_user(email, "facilitator", PASSWORD, Actor("test"))
    settings = small_settings.replace(database={"url": url}, web={"secret_key": "browser test key, long enough"})
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings, small_assistant), host="127.0.0.1", port=port,
                                           log_level="warning"))
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    while not server.started:
        assert runner.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    runner.join(timeout=10)
    database.dispose()


def _sign_in(page, base: str, email: str, next_path: str) -> None:
    page.goto(f"{base}/login?next={next_path}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}{next_path}")


def _add_story_from_library(page, base: str, key: str, value: str, collection: str | None) -> str:
    """Filter the library by one key, open the first story, add it; the headline added."""
    page.goto(f"{base}/library")
    page.locator(f"#library-{key}").select_option(value)
    page.get_by_role("button", name="Show stories").click()
    page.wait_for_url(f"**{key}=**")
    card = page.locator(".story-card").first
    headline = card.locator("h2 a").inner_text()
    card.locator("h2 a").click()
    page.get_by_role("button", name="Add to collection").click()
    page.wait_for_url("**/collections/add?**")
    if collection is None:
        page.locator("#collection-new").check()
        page.locator("#new-title").fill("Workshop: who pays")
    else:
        page.get_by_label(collection, exact=False).check()
    page.get_by_role("button", name="Add to collection").click()
    page.wait_for_url("**/collections/*")
    return headline


def _headings(page) -> list[str]:
    return page.locator(".collection-item .item-heading a").all_inner_texts()


def test_a_facilitator_collects_reorders_notes_downloads_and_shares(browser, site, tmp_path):  # noqa: F811
    base = site
    context, page, problems = _page(browser)
    other_context, other, other_problems = _page(browser)
    try:
        _sign_in(page, base, OWNER, "/library")
        first = _add_story_from_library(page, base, "country", "Peru", None)
        collection_url = page.url.split("#")[0]
        second = _add_story_from_library(page, base, "module", "Workplace Cooperation", "Workshop: who pays")
        assert page.url.split("#")[0] == collection_url

        page.goto(f"{base}/")
        page.get_by_label("Your question").fill("How did trainers get enterprises to pay for the training?")
        page.get_by_role("button", name="Ask").click()
        page.locator("article.turn .citation").first.wait_for()
        page.locator("article.turn .citation .add-button").first.click()
        page.wait_for_url("**/collections/add?**")
        quote = page.locator("blockquote.excerpt").inner_text().strip("“”")
        page.get_by_role("button", name="Add to collection").click()
        page.wait_for_url(f"{collection_url}*")
        headings = _headings(page)
        assert len(headings) == 3 and first in headings[0] and second in headings[1]
        assert quote[:40] in page.locator(".collection-item").nth(2).inner_text()

        # Reorder: the cited passage up to the top with the no-JS buttons, then the first story down by drag.
        for _ in range(2):
            page.locator(".collection-item").nth(2 if _ == 0 else 1).get_by_role("button", name="Up").click()
            page.wait_for_load_state()
        assert quote[:40] in page.locator(".collection-item").first.inner_text()
        target = page.locator(".collection-item").nth(2)
        below_middle = {"x": 30, "y": target.bounding_box()["height"] - 10}
        with page.expect_navigation():  # the new order is posted, then the page reloads from the server
            page.locator(".collection-item").nth(1).drag_to(target, target_position=below_middle)
        expect(page.locator(".collection-item").nth(2)).to_contain_text(first)
        assert first in _headings(page)[2] and second in _headings(page)[1]

        item = page.locator(".collection-item").nth(1)
        item.get_by_label("Facilitator’s note").fill(NOTE)
        item.get_by_role("button", name="Save note").click()
        page.wait_for_load_state()
        assert page.locator(".collection-item").nth(1).get_by_label("Facilitator’s note").input_value() == NOTE

        files = {}
        for fmt, label in (("docx", "Word (DOCX)"), ("pptx", "PowerPoint (PPTX)")):
            with page.expect_download() as download:
                page.get_by_role("link", name=f"Download {label}").click()
            path = tmp_path / f"collection.{fmt}"
            download.value.save_as(path)
            assert download.value.suggested_filename == f"Workshop who pays.{fmt}"
            files[fmt] = path.read_bytes()
        words = "\n".join(p.text for p in Document(io.BytesIO(files["docx"])).paragraphs)
        assert NOTE in words and first in words and second in words and quote[:40] in words
        slides = "\n".join(s.text_frame.text for slide in Presentation(io.BytesIO(files["pptx"])).slides
                           for s in slide.shapes if s.has_text_frame)
        assert NOTE in slides and first in slides
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "collection.png"), full_page=True)

        _sign_in(other, base, OTHER, "/collections")
        assert "Workshop: who pays" not in other.content()
        refused = other.goto(collection_url)
        assert refused.status == 404
        page.get_by_text("Rename, copy, share or delete").click()
        page.get_by_role("button", name="Share read-only link").click()
        page.wait_for_load_state()
        link = page.locator("a.share-link").get_attribute("href")
        shown = other.goto(f"{base}{link}")
        assert shown.status == 200 and other.locator("h1").inner_text() == "Workshop: who pays"
        assert other.locator("main form").count() == 0 and NOTE in other.locator("main").inner_text()
        assert other.goto(collection_url).status == 404  # the link reads; the owner's page stays theirs
    finally:
        context.close()
        other_context.close()
    assert problems == [] and [p for p in other_problems if "404" not in p] == []
