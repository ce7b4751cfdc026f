"""The moderators' pages over a real app, database and index: who may open them, the audit log page
with its filters, paging and CSV download (formula cells defused)."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from assistant.db.accounts_store import AccountsStore
from assistant.db.audit import Actor, record
from assistant.db.engine import Database
from assistant.web.app import create_app
from assistant.web.routers.moderate_audit import PAGE_SIZE, csv_cell
from tests.builders import database_with_accounts

SECRET = "a test key, long enough to sign cookies with"
PASSWORD = "correct horse battery"
MODERATOR, ADMIN, FACILITATOR, EVALUATOR = "mod@example.org", "admin@example.org", "fac@example.org", "eval@example.org"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
HTML = {"accept": "text/html"}


@pytest.fixture
def site(small_settings, small_assistant, tmp_path):
    """Makes a client of a fresh app over one database holding an account of each role."""
    url, database, _ = database_with_accounts(
        tmp_path, {MODERATOR: "moderator", ADMIN: "admin", FACILITATOR: "facilitator", EVALUATOR: "evaluator"},
        PASSWORD)
    clients = []

    def client(email: str | None = None) -> TestClient:
        settings = small_settings.replace(database={"url": url}, web={"secret_key": SECRET})
        made = TestClient(create_app(settings, small_assistant), follow_redirects=False)
        clients.append(made.__enter__())
        if email is not None:
            token = _csrf(made.get("/login"))
            signed = made.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token, "next": "/"})
            assert signed.status_code == 303, signed.text
        return made

    client.database = database  # type: ignore[attr-defined]
    yield client
    for made in clients:
        made.__exit__(None, None, None)
    database.dispose()


def _csrf(response) -> str:
    match = CSRF_INPUT.search(response.text)
    assert match, response.text
    return match.group(1)


@pytest.mark.parametrize("path", ["/moderate", "/moderate/curated", "/moderate/curated/new", "/moderate/audit",
                                  "/moderate/audit.csv", "/moderate/passages?q=donors"])
def test_anonymous_visitors_are_sent_to_sign_in_and_other_roles_refused(site, path):
    anonymous = site()
    sent = anonymous.get(path, headers=HTML)
    assert sent.status_code == 303 and sent.headers["location"].startswith(f"/login?next={path.split('?')[0]}")
    assert anonymous.get(path).status_code == 401
    for email in (FACILITATOR, EVALUATOR):
        assert site(email).get(path, headers=HTML).status_code == 403
    for email in (MODERATOR, ADMIN):
        assert site(email).get(path, headers=HTML).status_code == 200


def test_the_moderate_link_shows_for_moderators_only(site):
    assert 'href="/moderate"' in site(MODERATOR).get("/").text
    assert 'href="/moderate"' not in site(FACILITATOR).get("/").text
    assert 'href="/moderate"' not in site().get("/").text


def _rows(response) -> str:
    """The table of entries of an audit page (the filter form lists every action too)."""
    found = re.search(r"<tbody>(.*)</tbody>", response.text, re.S)
    return found.group(1) if found else ""


def _entry(database: Database, actor: str, action: str, object_id: str, after: dict | None = None) -> None:
    with database.unit_of_work() as session:
        record(session, Actor(actor), action, "curated_answer", object_id, before=None, after=after)


def test_the_audit_page_lists_entries_with_filters_and_pages(site):
    client = site(MODERATOR)
    database = site.database
    _entry(database, "alice@example.org", "curated.published", "7", {"status": "published"})
    _entry(database, "bob@example.org", "queue.dismissed", "12", {"reason": "<b>spam</b>"})
    page = client.get("/moderate/audit")
    assert page.status_code == 200
    rows = _rows(page)
    assert "curated.published" in rows and "queue.dismissed" in rows and "login.success" in rows
    assert "&lt;b&gt;spam&lt;/b&gt;" in rows and "<b>spam</b>" not in page.text

    by_actor = _rows(client.get("/moderate/audit", params={"actor": "ALICE"}))
    assert "curated.published" in by_actor and "queue.dismissed" not in by_actor
    by_action = _rows(client.get("/moderate/audit", params={"action": "queue.dismissed"}))
    assert "bob@example.org" in by_action and "alice@example.org" not in by_action
    by_object = _rows(client.get("/moderate/audit", params={"object_type": "curated_answer", "object_id": "12"}))
    assert "queue.dismissed" in by_object and "curated.published" not in by_object

    bad = client.get("/moderate/audit", params={"since": "yesterday"}, headers=HTML)
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text


def test_the_audit_date_range_takes_whole_days(site):
    client = site(ADMIN)
    _entry(site.database, "carol@example.org", "curated.retired", "3")
    today = datetime.now(UTC).date()
    day = timedelta(days=1)
    for since, until, shown in [(today, today, True), (today - day, None, True), (None, today, True),
                                (today + day, None, False), (None, today - day, False)]:
        params = {"since": since.isoformat() if since else "", "until": until.isoformat() if until else ""}
        assert ("carol@example.org" in _rows(client.get("/moderate/audit", params=params))) is shown, params
    reversed_range = {"since": today.isoformat(), "until": (today - day).isoformat()}
    assert client.get("/moderate/audit", params=reversed_range, headers=HTML).status_code == 400


def test_the_audit_log_pages_newest_first(site):
    client = site(MODERATOR)
    for number in range(PAGE_SIZE + 5):
        _entry(site.database, "pager@example.org", "curated.edited", str(number))
    first = client.get("/moderate/audit", params={"actor": "pager"}).text
    assert "Page 1 of 2" in first and 'rel="next"' in first and 'rel="prev"' not in first
    assert f"curated_answer {PAGE_SIZE + 4}<" in first and "curated_answer 0<" not in first
    second = client.get("/moderate/audit", params={"actor": "pager", "page": 2}).text
    assert "curated_answer 0<" in second and 'rel="prev"' in second and "actor=pager" in second


def test_the_csv_has_the_filtered_entries_and_no_formulas(site):
    client = site(MODERATOR)
    _entry(site.database, "=HYPERLINK(\"http://evil\")", "queue.dismissed", "9", {"reason": "+1 spam"})
    _entry(site.database, "erin@example.org", "curated.published", "10")
    response = client.get("/moderate/audit.csv", params={"action": "queue.dismissed"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["action"] for row in rows] == ["queue.dismissed"]
    assert rows[0]["actor"] == "'=HYPERLINK(\"http://evil\")" and rows[0]["object_id"] == "9"
    assert rows[0]["after"] == '{"reason": "+1 spam"}'
    everything = list(csv.DictReader(io.StringIO(client.get("/moderate/audit.csv").text)))
    assert {"queue.dismissed", "curated.published", "login.success"} <= {row["action"] for row in everything}


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-2", "'-2"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""),
])
def test_csv_cells_never_start_a_formula(value, written):
    assert csv_cell(value) == written


def test_a_curated_turn_shows_its_badge_citations_and_the_documents_answer_after_it(small_assistant, tmp_path):
    from jinja2 import Environment

    from assistant.models import CuratedInfo, Turn
    from assistant.templating import environment, web_dir
    from assistant.web.views import turn_view

    extracted = small_assistant.ask("How did trainers in Myanmar sell SCORE without donors?")
    curated = extracted.model_copy(update={
        "origin": "curated", "more": small_assistant.ask("How did a lead buyer in Peru pay for its suppliers?"),
        "curated": CuratedInfo(id=4, version=2, curator="mod@example.org",
                               reviewed_at=datetime(2030, 3, 12, tzinfo=UTC),
                               matched_phrasing="How did <b>Myanmar</b> trainers sell SCORE?", score=0.91),
    })
    turn = Turn(conversation_id="c", position=1, question_id=1, question="q", requested_filters={}, context=None,
                answer_id=9, answer=curated, latency_ms=1.0, asked_at=datetime.now(UTC))
    env: Environment = environment(web_dir(None))
    html = env.get_template("_turn.html").render(turn=turn_view(turn, small_assistant.index))
    assert "Reviewed by mod@example.org, <time datetime=\"2030-03-12T00:00:00+00:00\">12 March 2030</time>" in html
    assert "How did &lt;b&gt;Myanmar&lt;/b&gt; trainers sell SCORE?" in html
    badge, more = html.index("Reviewed by"), html.index("More from the documents")
    assert badge < html.index('id="cite-9-1"') < more < html.index('id="cite-9-more-1"')
    assert 'class="answer curated"' in html and '<span class="country">Peru</span>' in html[more:]
    plain = turn.model_copy(update={"answer": extracted})
    html = env.get_template("_turn.html").render(turn=turn_view(plain, small_assistant.index))
    assert "Reviewed by" not in html and "More from the documents" not in html


# --- the review queue and the editor ------------------------------------------------------------

MYANMAR = "How did trainers in Myanmar keep selling SCORE after the donors left?"
QUOTE = "After donor funding ended, 25 enterprises fully covered the training cost themselves."
QUOTE_VALUE = re.compile(r'name="quote" value="([^"|]+)\|After donor funding ended')


def _thumbs_down(client: TestClient, question: str = MYANMAR, comment: str = "Too vague <script>x()</script>") -> int:
    asked = client.post("/ask", data={"question": question}, headers={"HX-Request": "true"})
    assert asked.status_code == 200, asked.text
    answer_id = int(re.search(r'name="answer_id" value="(\d+)"', asked.text).group(1))
    rated = client.post("/feedback", data={"answer_id": answer_id, "rating": "down", "comment": comment})
    assert rated.status_code == 303
    return answer_id


def _item_id(page_text: str) -> int:
    return int(re.search(r'id="item-(\d+)"', page_text).group(1))


def test_the_queue_shows_a_thumbs_down_with_its_conversation_answer_and_passages(site):
    trainer = site()
    asked = trainer.post("/ask", data={"question": "Which enterprises paid for the training?"})
    conversation = asked.headers["location"].split("#")[0].removeprefix("/c/")
    followed = trainer.post("/ask", data={"question": "and in Myanmar?", "conversation_id": conversation},
                            headers={"HX-Request": "true"})
    answer_id = int(re.search(r'name="answer_id" value="(\d+)"', followed.text).group(1))
    trainer.post("/feedback", data={"answer_id": answer_id, "rating": "down", "comment": "Wrong <b>country</b>"})

    page = site(MODERATOR).get("/moderate")
    assert page.status_code == 200
    item = page.text[page.text.index('class="queue-item"'):]
    assert "Thumbs down" in item and "and in Myanmar?" in item and "Wrong &lt;b&gt;country&lt;/b&gt;" in item
    assert "Earlier in the conversation" in item and "Which enterprises paid for the training?" in item
    assert "Retrieved passages" in item and 'class="snippet"' in item and 'class="citation"' in item
    assert f'/moderate/curated/new?from_item={_item_id(page.text)}' in item


def test_queue_filters_by_reason_country_date_and_owner(site):
    _thumbs_down(site())
    moderator = site(MODERATOR)
    assert 'class="queue-item"' in moderator.get("/moderate", params={"reason": "thumbs_down"}).text
    assert 'class="queue-item"' not in moderator.get("/moderate", params={"reason": "repeated"}).text
    assert 'class="queue-item"' not in moderator.get("/moderate", params={"country": "Peru"}).text
    tomorrow = (datetime.now(UTC).date() + timedelta(days=1)).isoformat()
    assert 'class="queue-item"' not in moderator.get("/moderate", params={"since": tomorrow}).text
    assert 'class="queue-item"' not in moderator.get("/moderate", params={"mine": "1"}).text
    assert moderator.get("/moderate", params={"reason": "bogus"}, headers=HTML).status_code == 400


def test_dismissing_needs_a_reason_and_assigning_names_one_person(site):
    _thumbs_down(site())
    moderator = site(MODERATOR)
    page = moderator.get("/moderate")
    item, token = _item_id(page.text), _csrf(page)
    refused = moderator.post(f"/moderate/items/{item}/dismiss", data={"reason": "  ", "csrf_token": token},
                             headers=HTML)
    assert refused.status_code == 422 and "reason is required" in refused.text
    no_token = moderator.post(f"/moderate/items/{item}/dismiss", data={"reason": "fine"})
    assert no_token.status_code == 403

    admin_id = next(a.id for a in AccountsStore(site.database).accounts() if a.email == ADMIN)
    facilitator_id = next(a.id for a in AccountsStore(site.database).accounts() if a.email == FACILITATOR)
    wrong = moderator.post(f"/moderate/items/{item}/assign", data={"user_id": facilitator_id, "csrf_token": token},
                           headers={"HX-Request": "true"})
    assert wrong.status_code == 422 and "not an active moderator or admin" in wrong.text
    assert f'<option value="{facilitator_id}"' not in page.text  # only moderators and admins are offered
    assigned = moderator.post(f"/moderate/items/{item}/assign", data={"user_id": admin_id, "csrf_token": token,
                                                                      "back": "/moderate?reason=thumbs_down"})
    assert assigned.status_code == 303
    assert assigned.headers["location"].startswith("/moderate?reason=thumbs_down&flash=")
    admin = site(ADMIN)
    assert f'id="item-{item}"' in admin.get("/moderate", params={"mine": "1"}).text

    dismissed = moderator.post(f"/moderate/items/{item}/dismiss", data={"reason": "the answer was right",
                                                                        "csrf_token": token},
                               headers={"HX-Request": "true"})
    assert dismissed.status_code == 200 and "Dismissed: the answer was right" in dismissed.text
    assert f'id="item-{item}"' not in moderator.get("/moderate").text
    assert f'id="item-{item}"' in moderator.get("/moderate", params={"status": "dismissed"}).text
    actions = [row["action"] for row in csv.DictReader(io.StringIO(moderator.get("/moderate/audit.csv").text))]
    assert "queue.dismissed" in actions and "queue.assigned" in actions


def _create(client: TestClient, item: int | None, note: str = "", action: str = "publish",
            alternates: str = "How did Myanmar trainers sell SCORE without donor money?") -> object:
    params = {"from_item": item} if item else {"q": "donor funding ended in Myanmar"}
    editor = client.get("/moderate/curated/new", params=params)
    chunk_id = QUOTE_VALUE.search(editor.text).group(1)
    data = {"question": MYANMAR, "alternates": alternates, "note": note, "country": "Myanmar",
            "quote": [f"{chunk_id}|{QUOTE}"], "action": action, "csrf_token": _csrf(editor)}
    if item:
        data["from_item"] = item
    return client.post("/moderate/curated", data=data)


def test_a_curated_answer_is_written_from_an_item_with_quotes_and_an_inert_note(site):
    _thumbs_down(site())
    moderator = site(MODERATOR)
    item = _item_id(moderator.get("/moderate").text)
    editor = moderator.get("/moderate/curated/new", params={"from_item": item})
    assert editor.status_code == 200 and "Passages retrieved for the question" in editor.text
    assert f'value="{MYANMAR}"' in editor.text and QUOTE_VALUE.search(editor.text)

    created = _create(moderator, item, note="Ask them <script>alert(1)</script> first")
    assert created.status_code == 303, created.text
    page = moderator.get(created.headers["location"])
    assert "Published." in page.text and "status-published" in page.text
    assert "Ask them &lt;script&gt;alert(1)&lt;/script&gt; first" in page.text and "<script>alert" not in page.text
    assert QUOTE in page.text and "How did Myanmar trainers sell SCORE without donor money?" in page.text
    assert f'id="item-{item}"' not in moderator.get("/moderate").text  # the item is done

    trainer = site()
    answered = trainer.post("/ask", data={"question": "How did Myanmar's trainers sell SCORE once donor funds ended?"},
                            headers={"HX-Request": "true"})
    assert "Reviewed by mod@example.org" in answered.text and "More from the documents" in answered.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in answered.text and "<script>alert" not in answered.text


def test_a_forged_quote_is_refused_naming_it_and_the_draft_comes_back(site):
    moderator = site(MODERATOR)
    editor = moderator.get("/moderate/curated/new")
    chunk_id = moderator.get("/moderate/passages", params={"q": "donor funding ended Myanmar"}).text
    chunk_id = QUOTE_VALUE.search(chunk_id).group(1)
    forged = moderator.post("/moderate/curated", data={
        "question": MYANMAR, "quote": [f"{chunk_id}|Donors paid for everything."], "action": "draft",
        "note": "kept", "csrf_token": _csrf(editor)})
    assert forged.status_code == 422 and "not verbatim" in forged.text and "Donors paid for everything." in forged.text
    assert f'value="{MYANMAR}"' in forged.text and ">kept</textarea>" in forged.text
    unknown = moderator.post("/moderate/curated", data={
        "question": MYANMAR, "quote": ["nochunk|Some text."], "action": "draft", "csrf_token": _csrf(editor)})
    assert unknown.status_code == 422 and "not in the index" in unknown.text


def test_the_search_button_without_javascript_keeps_the_draft(site):
    moderator = site(MODERATOR)
    editor = moderator.get("/moderate/curated/new")
    searched = moderator.post("/moderate/curated", data={
        "question": MYANMAR, "note": "my words", "q": "donor funding ended", "action": "search",
        "csrf_token": _csrf(editor)})
    assert searched.status_code == 200 and QUOTE_VALUE.search(searched.text)
    assert f'value="{MYANMAR}"' in searched.text and ">my words</textarea>" in searched.text


def test_second_review_refuses_publishing_your_own_draft(site, small_settings, small_assistant):
    moderator = site(MODERATOR)
    moderator.app.state.settings = moderator.app.state.settings.replace(web={"secret_key": SECRET,
                                                                             "require_second_review": True})
    refused = _create(moderator, None, action="publish")
    assert refused.status_code == 403 and "second reviewer" in refused.text
    drafted = _create(moderator, None, action="draft")
    assert drafted.status_code == 303
    page = moderator.get(drafted.headers["location"])
    curated_id = int(drafted.headers["location"].split("/")[3].split("?")[0])
    own = moderator.post(f"/moderate/curated/{curated_id}/publish", data={"csrf_token": _csrf(page)})
    assert own.status_code == 403 and "another moderator or admin must publish it" in own.text
    admin = site(ADMIN)
    admin.app.state.settings = moderator.app.state.settings
    page = admin.get(f"/moderate/curated/{curated_id}")
    assert admin.post(f"/moderate/curated/{curated_id}/publish", data={"csrf_token": _csrf(page)}).status_code == 303


def test_editing_adds_a_version_with_a_diff_and_phrasings_come_and_go(site):
    moderator = site(MODERATOR)
    created = _create(moderator, None, action="draft")
    curated_id = int(created.headers["location"].split("/")[3].split("?")[0])
    page = moderator.get(f"/moderate/curated/{curated_id}")
    token = _csrf(page)
    chunk_id = QUOTE_VALUE.search(page.text).group(1)
    edited = moderator.post(f"/moderate/curated/{curated_id}", data={
        "question": MYANMAR, "note": "New <i>note</i>", "country": "Myanmar", "quote": [f"{chunk_id}|{QUOTE}"],
        "csrf_token": token})
    assert edited.status_code == 303 and "version+2" in edited.headers["location"]
    page = moderator.get(f"/moderate/curated/{curated_id}")
    assert "Version 2 by mod@example.org" in page.text
    assert '<span class="diff-line added">+Moderator&#39;s note: New &lt;i&gt;note&lt;/i&gt;</span>' in page.text
    again = moderator.post(f"/moderate/curated/{curated_id}", data={
        "question": MYANMAR, "note": "New <i>note</i>", "country": "Myanmar", "quote": [f"{chunk_id}|{QUOTE}"],
        "csrf_token": token})
    assert again.status_code == 303 and "version" not in again.headers["location"]  # nothing changed: no version

    added = moderator.post(f"/moderate/curated/{curated_id}/phrasings",
                           data={"phrasing": "Who paid once donors left Myanmar?", "csrf_token": token})
    assert added.status_code == 303
    page = moderator.get(f"/moderate/curated/{curated_id}").text
    phrasing_id = re.search(r'/phrasings/(\d+)/remove"[^>]*>[^<]*<input[^>]*><button[^>]*aria-label="Remove the '
                            r'phrasing Who paid', page)
    assert phrasing_id, page
    removed = moderator.post(f"/moderate/curated/{curated_id}/phrasings/{phrasing_id.group(1)}/remove",
                             data={"csrf_token": token})
    assert removed.status_code == 303
    assert "Who paid once donors left Myanmar?" not in moderator.get(f"/moderate/curated/{curated_id}").text
    listing = moderator.get("/moderate/curated").text
    assert MYANMAR in listing and "status-draft" in listing


def test_evaluators_download_the_curated_test_set(site):
    moderator = site(MODERATOR)
    assert _create(moderator, None, action="publish").status_code == 303
    assert site().get("/eval/curated-testset.jsonl", headers=HTML).status_code == 303
    assert site(FACILITATOR).get("/eval/curated-testset.jsonl").status_code == 403
    for email in (EVALUATOR, MODERATOR, ADMIN):
        response = site(email).get("/eval/curated-testset.jsonl")
        assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
        items = [json.loads(line) for line in response.text.splitlines()]
        alternate = "How did Myanmar trainers sell SCORE without donor money?"
        assert {item["question"] for item in items} == {MYANMAR, alternate}
        assert all(item["must_contain"] for item in items)


def test_writes_by_anonymous_visitors_or_other_roles_are_refused(site):
    assert site().post("/moderate/items/1/dismiss", data={"reason": "x"}).status_code == 401
    assert site().post("/moderate/curated", data={"question": "q"}, headers=HTML).status_code == 303
    facilitator = site(FACILITATOR)
    token = _csrf(facilitator.get("/"))
    assert facilitator.post("/moderate/curated/1/publish", data={"csrf_token": token}).status_code == 403


def test_suggested_phrasings_are_accepted_or_rejected_and_answers_retired(site):
    from assistant.db.phrasing_suggestions import PhrasingSuggestions

    moderator = site(MODERATOR)
    created = _create(moderator, None, action="publish")
    curated_id = int(created.headers["location"].split("/")[3].split("?")[0])
    suggestions = PhrasingSuggestions(site.database)
    taken = suggestions.suggest(curated_id, "Who paid for SCORE in Myanmar when donors stopped?", 0.7)
    dropped = suggestions.suggest(curated_id, "Is SCORE sold in <Myanmar>?", 0.6)
    page = moderator.get(f"/moderate/curated/{curated_id}")
    assert "Suggested phrasings" in page.text and "Is SCORE sold in &lt;Myanmar&gt;?" in page.text
    token = _csrf(page)
    base = f"/moderate/curated/{curated_id}/suggestions"
    assert moderator.post(f"{base}/{taken.id}/accept", data={"csrf_token": token}).status_code == 303
    assert moderator.post(f"{base}/{dropped.id}/reject", data={"csrf_token": token}).status_code == 303
    again = moderator.post(f"{base}/{dropped.id}/reject", data={"csrf_token": token}, headers=HTML)
    assert again.status_code in (404, 409)
    page = moderator.get(f"/moderate/curated/{curated_id}").text
    assert "Who paid for SCORE in Myanmar when donors stopped? <span class=\"meta\">(accepted-suggestion)" in page
    assert "Suggested phrasings" not in page

    retired = moderator.post(f"/moderate/curated/{curated_id}/retire", data={"csrf_token": token})
    assert retired.status_code == 303
    page = moderator.get(retired.headers["location"]).text
    assert "status-retired" in page and ">Retire</button>" not in page
    refused = moderator.post(f"/moderate/curated/{curated_id}/publish", data={"csrf_token": token}, headers=HTML)
    assert refused.status_code == 409 and "retired" in refused.text
