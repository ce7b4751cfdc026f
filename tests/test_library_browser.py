"""The story library in a real browser (Chromium via Playwright, the bundled corpus): a facilitator
browses by module and country, opens a story and sees its figures marked and its credit line.
The server, browser and page setup are the chat's browser tests' (console errors fail the test)."""

from __future__ import annotations

import pytest

from tests.test_web_browser import ARTIFACTS, _page, base_url, browser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_browse_by_module_and_country_then_open_a_story(browser, base_url, javascript):  # noqa: F811
    context, page, problems = _page(browser, javascript=javascript)
    try:
        page.goto(base_url + "/")
        page.click("a.nav-library")
        assert page.url.endswith("/library")
        everything = page.locator(".story-card").count()

        page.select_option("#library-module", "Workplace Cooperation")
        page.click("#library-form button[type=submit]")
        page.wait_for_url("**module=Workplace+Cooperation**")
        cards = page.locator(".story-card")
        assert 1 < cards.count() < everything
        for i in range(cards.count()):
            assert "Workplace Cooperation" in cards.nth(i).locator(".tags").inner_text()
        if javascript:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "library.png"), full_page=True)

        option = page.locator("#library-country option", has_text="Peru")
        assert option.inner_text() == "Peru (1)"
        page.select_option("#library-country", "Peru")
        page.click("#library-form button[type=submit]")
        page.wait_for_url("**country=Peru**")
        assert page.locator(".story-card").count() == 1
        assert page.input_value("#library-module") == "Workplace Cooperation"  # the filters stay chosen

        page.locator(".story-card h2 a").click()
        page.wait_for_url("**/library/*")
        assert "Peru" in page.locator(".story .kicker").inner_text()
        marks = page.locator(".story-text mark")
        assert marks.count() >= 1 and any(ch.isdigit() for ch in marks.first.inner_text())
        assert "CC BY 4.0" in page.locator(".credit").inner_text()
        page.locator(".open-context a").first.click()
        page.wait_for_url("**/passages/*")
        assert page.locator(".passage").count() == 1
    finally:
        context.close()
    assert problems == []
