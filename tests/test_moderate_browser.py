"""Moderating in a real browser (Chromium through Playwright) over a real server, index and database:
a moderator turns a thumbs-down into a published curated answer built from quoted sentences; an
anonymous trainer in another browser context gets it for a paraphrase, with its badge and citations,
and does not get it for another country; a re-ingest that changes the quoted passage takes it out of
service and puts it in the queue. Screenshots: ``tests/artifacts/moderate-queue.png`` and
``tests/artifacts/curated-answer.png``."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from assistant.config import Settings
from assistant.db.accounts_store import AccountsStore
from assistant.db.audit import Actor
from assistant.db.curation_store import CurationStore
from assistant.db.engine import Database
from assistant.ingest.build import ingest
from assistant.qa.service import Assistant
from assistant.web.app import create_app
from assistant.web.live_index import build_name, live_build
from tests.builders import SMALL_UPDATE, write_small_corpus
from tests.test_web_browser import ARTIFACTS, _free_port, _page, browser  # noqa: F401  (the shared Chromium)

pytestmark = pytest.mark.slow

EMAIL, PASSWORD = "mod@example.org", "correct horse battery"
ASKED = "How did trainers in Myanmar keep selling SCORE after the donors left?"
PARAPHRASE = "Once donor money ran out, how did Myanmar's trainers go on selling SCORE?"
OTHER_COUNTRY = "How did trainers in Peru keep selling SCORE after the donors left?"
QUOTE = "After donor funding ended, 25 enterprises fully covered the training cost themselves."
CHANGED = "After donor funding ended, 19 enterprises covered part of the training cost themselves."
RELOAD_LIMIT_S = 120  # loading a new build on a busy 2-core machine; not a performance assertion


@dataclass
class Site:
    base: str
    app: FastAPI
    settings: Settings
    database: Database


@pytest.fixture(scope="module")
def site(embedder, tmp_path_factory) -> Iterator[Site]:
    """A server over its own small corpus and index (so the test can re-ingest it) and a database
    holding one moderator."""
    folder = tmp_path_factory.mktemp("moderate-browser")
    settings = Settings(corpus_dir=write_small_corpus(folder / "corpus"), index_dir=folder / "index")
    assert ingest(settings, embedder=embedder).ok
    url = f"sqlite:///{folder / 'app.sqlite'}"
    database = Database(url)
    database.migrate()
    AccountsStore(database).add_user(EMAIL, "moderator", PASSWORD, Actor("test"))
    settings = settings.replace(database={"url": url}, web={"secret_key": "browser test key, long enough"})
    app = create_app(settings, Assistant(settings, embedder=embedder))
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    while not server.started:
        assert runner.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield Site(f"http://127.0.0.1:{port}", app, settings, database)
    server.should_exit = True
    runner.join(timeout=10)
    database.dispose()


def _thumbs_down(base: str, question: str, comment: str) -> None:
    """An anonymous trainer asks and rates the answer down (no session, so no CSRF token is needed)."""
    with httpx.Client(base_url=base, timeout=60) as client:
        asked = client.post("/ask", data={"question": question}, headers={"HX-Request": "true"})
        assert asked.status_code == 200, asked.text
        answer_id = asked.text.split('name="answer_id" value="', 1)[1].split('"', 1)[0]
        rated = client.post("/feedback", data={"answer_id": answer_id, "rating": "down", "comment": comment})
        assert rated.status_code == 303


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/login?next=/moderate")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/moderate")


def _ask(page, base: str, question: str):
    page.goto(f"{base}/")
    page.get_by_label("Your question").fill(question)
    page.get_by_role("button", name="Ask").click()
    turn = page.locator("article.turn").last
    turn.locator(".feedback").wait_for()
    return turn


def _wait_for_new_build(site: Site, old_build: str) -> None:
    live = site.app.state.live
    deadline = time.monotonic() + RELOAD_LIMIT_S
    while build_name(live.chat) == old_build or build_name(live.chat) != live_build(site.settings.index_dir):
        assert time.monotonic() < deadline, "the server did not load the new index build"
        time.sleep(0.5)


def test_a_moderator_curates_a_thumbs_down_and_trainers_get_it_until_its_source_changes(browser, site):  # noqa: F811
    _thumbs_down(site.base, ASKED, "It does not say who paid")
    ARTIFACTS.mkdir(exist_ok=True)
    moderator_context, moderator, moderator_problems = _page(browser)
    trainer_context, trainer, trainer_problems = _page(browser)
    try:
        # The moderator sees the item with its passages and writes a curated answer from it.
        _sign_in(moderator, site.base)
        item = moderator.locator(".queue-item", has_text=ASKED).filter(has_text="Thumbs down")
        assert "It does not say who paid" in item.inner_text()
        assert item.locator(".passages li").count() >= 1 and "Retrieved passages" in item.inner_text()
        moderator.screenshot(path=str(ARTIFACTS / "moderate-queue.png"), full_page=True)
        # Another item of the same answer: assigned, then dismissed, each redrawn in place by htmx.
        other = moderator.locator(".queue-item", has_text=ASKED).filter(has_not_text="Thumbs down").first
        other_id = other.get_attribute("id")
        other.get_by_role("button", name="Assign").click()
        moderator.locator(f"#{other_id}", has_text="assigned to mod@example.org").wait_for()
        moderator.locator(f"#{other_id}").get_by_label("Dismiss, because").fill("the quote answers it")
        moderator.locator(f"#{other_id}").get_by_role("button", name="Dismiss").click()
        moderator.locator(f"#{other_id}", has_text="Dismissed: the quote answers it").wait_for()
        item.get_by_role("link", name="Write a curated answer").click()
        moderator.wait_for_url("**/moderate/curated/new?from_item=*")
        assert moderator.get_by_label("Question", exact=True).input_value() == ASKED
        moderator.get_by_label(QUOTE).first.check()
        moderator.get_by_label("Country it answers for").select_option("Myanmar")
        moderator.get_by_label("Moderator's note").fill("Point trainers to the <free> online orientation too.")
        moderator.get_by_role("button", name="Publish").click()
        moderator.wait_for_url("**/moderate/curated/*?flash=*")
        assert "Published." in moderator.locator("[role=status]").inner_text()
        assert QUOTE in moderator.locator(".quotes").inner_text()
        [answer] = CurationStore(site.database).list(status="published")
        assert [q.text for q in answer.quotes] == [QUOTE]

        # An anonymous trainer, in another browser context, asks in other words and gets it.
        turn = _ask(trainer, site.base, PARAPHRASE)
        assert "Reviewed by mod@example.org" in turn.locator(".curated-meta").inner_text()
        assert turn.locator(".answer-text").first.locator("a.cite").count() >= 1
        assert "Myanmar" in turn.locator(".citations").first.inner_text()
        assert QUOTE in turn.locator(".answer-text").first.inner_text()
        assert "<free>" in turn.inner_text()  # the note, shown as text
        assert turn.get_by_text("More from the documents").is_visible()
        turn.scroll_into_view_if_needed()
        trainer.screenshot(path=str(ARTIFACTS / "curated-answer.png"), full_page=True)

        # The same question about another country does not get it.
        other = _ask(trainer, site.base, OTHER_COUNTRY)
        assert other.locator(".curated-meta").count() == 0 and "Reviewed by" not in other.inner_text()

        # A re-ingest changes the quoted sentence: the answer leaves service and joins the queue.
        old_build = build_name(site.app.state.live.chat)
        corpus = Path(site.settings.corpus_dir) / "mini-update.md"
        corpus.write_text(SMALL_UPDATE.replace(QUOTE, CHANGED), encoding="utf-8")
        assert ingest(site.settings, embedder=site.app.state.live.chat.assistant.embedder).ok
        _wait_for_new_build(site, old_build)
        assert CurationStore(site.database).get(answer.id).status == "needs_review"
        again = _ask(trainer, site.base, PARAPHRASE)
        assert "Reviewed by" not in again.inner_text()

        moderator.goto(f"{site.base}/moderate?reason=source_changed")
        changed = moderator.locator(".queue-item", has_text="Source changed")
        assert changed.count() == 1
        assert "25 enterprises" in changed.locator(".diff .removed").all_inner_texts()[0]
        assert "19 enterprises" in changed.locator(".diff .added").all_inner_texts()[0]
    finally:
        moderator_context.close()
        trainer_context.close()
    assert moderator_problems == [] and trainer_problems == []
