"""Signing in with a real browser (Chromium through Playwright) over a real server: the sign-in form,
a question asked through htmx by the signed-in user (htmx must send the session's CSRF token), and
signing out, with no console error (a CSP violation, a refused request) on the way."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn

from assistant.db.accounts_store import AccountsStore
from assistant.db.audit import Actor, audit_events
from assistant.db.engine import Database
from assistant.web.app import create_app
from tests.test_web_browser import _free_port, _page, browser  # noqa: F401  (the shared Chromium)

pytestmark = pytest.mark.slow

EMAIL, PASSWORD = "mod@example.org", "correct horse battery"


@pytest.fixture(scope="module")
def site(small_settings, small_assistant, tmp_path_factory) -> Iterator[tuple[str, AccountsStore]]:
    """A server whose database holds one moderator; its address and the accounts."""
    url = f"sqlite:///{tmp_path_factory.mktemp('auth-browser') / 'app.sqlite'}"
    database = Database(url)
    database.migrate()
    accounts = AccountsStore(database)
    accounts.add_user(EMAIL, "moderator", PASSWORD, Actor("test"))
    settings = small_settings.replace(database={"url": url}, web={"secret_key": "browser test key, long enough"})
    port = _free_port()
    config = uvicorn.Config(create_app(settings, small_assistant), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    runner = threading.Thread(target=server.run, daemon=True)
    runner.start()
    while not server.started:
        assert runner.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", accounts
    server.should_exit = True
    runner.join(timeout=10)
    database.dispose()


def test_a_moderator_signs_in_asks_through_htmx_and_signs_out(browser, site):  # noqa: F811
    base, accounts = site
    context, page, problems = _page(browser)
    try:
        page.goto(f"{base}/login?next=/")
        page.get_by_label("Email").fill(EMAIL)
        page.get_by_label("Password").fill("not the password")
        page.get_by_role("button", name="Sign in").click()
        assert "Wrong email or password" in page.locator("[role=alert]").inner_text()

        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{base}/")
        assert f"{EMAIL} (moderator)" in page.locator("header").inner_text()

        page.get_by_label("Your question").fill("How did trainers get enterprises to pay for the training?")
        page.get_by_role("button", name="Ask").click()
        page.locator("article.turn .feedback").wait_for()  # answered: the htmx POST carried the token
        assert page.locator("article.turn").count() == 1

        page.get_by_role("button", name="Sign out").click()
        page.wait_for_url(f"{base}/")
        assert page.get_by_role("link", name="Sign in").is_visible()
        actions = [e.action for e in reversed(audit_events(accounts.database))]
        assert actions[-3:] == ["login.failure", "login.success", "logout"]
    finally:
        context.close()
    # The refused sign-in's 401 is the only failed request the browser reports.
    assert [p for p in problems if "401" not in p] == []
