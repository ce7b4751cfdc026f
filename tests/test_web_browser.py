"""The chat in a real browser: Debian's Chromium, headless, driven by Playwright, over a real server.

One uvicorn server (in a thread, on a free port) over the bundled corpus and a fresh SQLite file
serves every test; each test gets a fresh browser context. Console errors (a CSP violation, a
failed request) fail the test.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from assistant.web.app import create_app

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PAY = "How did trainers get enterprises to pay for the training?"
TIMEOUT_MS = 30_000  # other test runs may share the 2 cores


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def base_url(bundled_settings, bundled_assistant, tmp_path_factory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("browser") / "app.sqlite"
    settings = bundled_settings.replace(database={"url": f"sqlite:///{database}"})
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, bundled_assistant), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: apt-get install -y chromium (.ci/run does it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _page(browser, javascript: bool = True, width: int = 1280, height: int = 900):
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": height})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("dialog", lambda dialog: problems.append(f"dialog: {dialog.message}"))
    return context, page, problems


@pytest.fixture
def page(browser):
    context, page, problems = _page(browser)
    yield page
    context.close()
    assert problems == []


def _ask(page, question: str) -> None:
    before = page.locator("article.turn").count()
    page.fill("#question", question)
    page.press("#question", "Enter")
    page.locator("article.turn").nth(before).locator(".feedback").wait_for()


def test_ask_see_cited_answer_and_open_the_quote(page, base_url):
    page.goto(base_url + "/")
    assert page.locator("#examples button.example").count() >= 3
    _ask(page, PAY)
    turn = page.locator("article.turn").last
    assert "/c/" in page.url  # the conversation has an address without a page reload
    assert page.locator("#examples").count() == 0
    assert turn.locator("h2.question").inner_text() == PAY
    assert turn.locator(".answer-text a.cite").count() >= 2
    first_citation = turn.locator(".citations .citation").first
    assert "SCORE Annual Update 2023-24" in first_citation.inner_text()
    assert "lines" in first_citation.inner_text() or "line" in first_citation.inner_text()
    assert page.input_value("#question") == ""
    page.set_viewport_size({"width": 1280, "height": 1500})  # the whole answer, with the question box below
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "chat-answer.png"))
    page.set_viewport_size({"width": 1280, "height": 900})

    turn.locator(".answer-text a.cite").first.click()
    panel = page.locator("#passage-panel")
    mark = panel.locator("mark").first
    mark.wait_for()
    quote = mark.inner_text().strip()
    assert quote and quote in turn.locator(".answer-text").inner_text()
    assert "© ILO" in panel.locator(".attribution").inner_text()
    assert "/c/" in page.url  # the panel opened beside the chat
    page.screenshot(path=str(ARTIFACTS / "chat-passage-panel.png"))
    page.keyboard.press("Escape")
    assert not panel.is_visible()

    page.locator("#answer-" + turn.get_attribute("id").split("-")[1] + " .citations a").first.click()
    share = panel.locator(".share a").first.get_attribute("href")
    assert "/passages/" in share and "hl=" in share


def test_example_question_and_country_filter(page, base_url):
    page.goto(base_url + "/")
    page.locator("#examples button.example").first.click()
    page.locator("article.turn .feedback").first.wait_for()
    page.click(".filters summary")
    page.select_option("#filter-country", "Peru")
    _ask(page, "How were enterprises trained?")
    turn = page.locator("article.turn").last
    assert "Country: Peru" in turn.locator(".answer-meta").inner_text()
    countries = turn.locator(".citations .country").all_inner_texts()
    assert countries and set(countries) == {"Peru"}


def test_feedback_with_a_comment(page, base_url):
    page.goto(base_url + "/")
    _ask(page, "What is SCORE4Climate?")
    feedback = page.locator("article.turn .feedback").last
    feedback.locator("summary").click()
    feedback.locator("textarea").fill("Clear, thanks")
    feedback.get_by_role("button", name="Not useful").click()
    status = page.locator("article.turn .feedback-status").last
    status.wait_for()
    assert "Thank you" in status.inner_text() and "not useful" in status.inner_text()
    conversation_id = page.url.rsplit("/", 1)[1]
    stored = httpx.get(f"{base_url}/api/conversations/{conversation_id}").json()
    assert [(f["rating"], f["comment"]) for f in stored["turns"][0]["feedback"]] == [("down", "Clear, thanks")]


def test_follow_up_question_uses_the_conversation(page, base_url):
    page.goto(base_url + "/")
    _ask(page, PAY)
    _ask(page, "and in Asia?")
    follow = page.locator("article.turn").last
    assert f"Follow-up to “{PAY}”" in follow.locator(".answer-meta").inner_text()
    conversation_id = page.url.rsplit("/", 1)[1]
    turns = httpx.get(f"{base_url}/api/conversations/{conversation_id}").json()["turns"]
    assert len(turns) == 2 and turns[1]["follow_up_of"] == PAY
    assert turns[1]["passages"][0]["region"] == "Asia" and not turns[1]["abstained"]
    page.reload()  # the conversation survives a reload: it is stored, not held by the page
    assert page.locator("article.turn").count() == 2


def test_keyboard_only_and_phone_width(browser, base_url):
    context, page, problems = _page(browser, width=390, height=844)
    page.goto(base_url + "/")
    page.focus("#question")
    page.keyboard.type("Which donors fund SCORE in India, the Philippines and South Africa?")
    page.keyboard.press("Enter")
    page.locator("article.turn .feedback").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.locator("article.turn .answer-text a.cite").first.focus()
    page.keyboard.press("Enter")
    page.locator("#passage-panel mark").first.wait_for()
    assert page.evaluate("document.activeElement.id") == "passage-title"
    page.screenshot(path=str(ARTIFACTS / "chat-phone-passage.png"))
    page.keyboard.press("Escape")
    assert "cite" in page.evaluate("document.activeElement.className")
    context.close()
    assert problems == []


def test_the_chat_works_with_javascript_off(browser, base_url):
    context, page, problems = _page(browser, javascript=False)
    page.goto(base_url + "/")
    page.fill("#question", PAY)
    page.click("button.primary")
    page.wait_for_url("**/c/**")
    assert page.locator("article.turn .citations .citation").count() >= 2
    page.fill("#question", "and in Asia?")
    page.click("button.primary")
    page.wait_for_function("document.querySelectorAll('article.turn').length === 2")
    assert "Follow-up to" in page.locator("article.turn").last.inner_text()
    page.locator("article.turn").last.get_by_role("button", name="Useful", exact=True).click()
    assert "You rated this answer useful." in page.locator("article.turn").last.inner_text()
    page.locator("article.turn .answer-text a.cite").first.click()
    page.wait_for_url("**/passages/**")
    assert page.locator("main.passage-page mark").count() >= 1
    assert "CC BY 4.0" in page.locator(".attribution").inner_text()
    context.close()
    assert problems == []
