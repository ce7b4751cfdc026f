"""Curated answers in the database, on SQLite and PostgreSQL: versions, lifecycle, second review,
phrasings used once, verbatim quotes, the answer a trainer sees, suggestions, the review queue and
the audit entries of every action."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from assistant.curation.answers import NOTE_LABEL, curated_answer
from assistant.curation.grounding import QuoteInput, QuoteNotVerbatim, UnknownChunk, passage_sha256
from assistant.curation.service import CurationService
from assistant.db.accounts_store import AccountsStore
from assistant.db.audit import Actor
from assistant.db.chat_store import ChatStore
from assistant.db.curation_records import CurationConflict, CurationError, DuplicatePhrasing, SecondReviewRequired
from assistant.db.curation_store import Changes, CurationStore
from assistant.db.moderation_queue import ModerationQueue
from assistant.db.phrasing_suggestions import PhrasingSuggestions
from assistant.db.queue_feed import feed_queue
from assistant.db.tables.accounts import AuditRow

pytest_plugins = ["tests.postgres_server"]

PASSWORD = "correct horse battery"
SETUP = Actor("test setup")
MYANMAR = "After donor funding ended, 25 enterprises fully covered the training cost themselves."
ORIENTATION = "A free online orientation session attracted new clients."
QUESTION = "How did trainers in Myanmar sell SCORE?"
PERU = "A lead buyer financed the whole intervention for 30 of its small suppliers"


@pytest.fixture
def people(database) -> dict[str, Actor]:
    accounts = AccountsStore(database)
    made = {}
    for name, role in (("ann", "moderator"), ("bob", "moderator"), ("cy", "admin"), ("eve", "evaluator")):
        account = accounts.add_user(f"{name}@example.org", role, PASSWORD, SETUP)
        made[name] = Actor(account.email, account.id)
    return made


def chunk_with(index, text: str):
    return next(c for c in index.chunks if text in c.text)


def service(database, index, second_review: bool = False) -> CurationService:
    return CurationService(CurationStore(database, require_second_review=second_review), index)


def myanmar_quotes(index) -> list[QuoteInput]:
    chunk = chunk_with(index, MYANMAR)
    return [QuoteInput(chunk_id=chunk.chunk_id, text=MYANMAR), QuoteInput(chunk_id=chunk.chunk_id, text=ORIENTATION)]


def _audit(database) -> list[tuple[int, str, str, str | None]]:
    with database.read() as session:
        return [(r.id, r.action, r.actor, r.object_id) for r in session.scalars(select(AuditRow).order_by(AuditRow.id))]


def test_every_edit_is_a_new_version_with_history_and_diff(database, people, small_assistant):
    curation = service(database, small_assistant.index)
    ann = people["ann"]
    made = curation.create(ann, QUESTION, myanmar_quotes(small_assistant.index)[:1],
                           ["myanmar trainers selling score"], note="Check with the country team.", country="myanmar")
    assert (made.status, made.version, made.country, made.author) == ("draft", 1, "Myanmar", "ann@example.org")
    assert made.review_by == date.today() + timedelta(days=180) and not made.due_for_review()
    assert [(p.text, p.source) for p in made.phrasings] == [
        (QUESTION, "original"), ("myanmar trainers selling score", "alternate")]
    quote = made.quotes[0]
    chunk = chunk_with(small_assistant.index, MYANMAR)
    assert quote.passage_sha256 == passage_sha256(chunk.text) and quote.heading_path == chunk.heading_path
    assert (quote.line_start, quote.doc_id) == (chunk.line_start, chunk.doc_id)

    second = curation.update(people["bob"], made.id, Changes(question="How did Myanmar trainers sell SCORE alone?"),
                             quotes=myanmar_quotes(small_assistant.index))
    third = curation.store.update(ann, made.id, Changes(note=None, phrasings=["selling score in myanmar"]))
    assert (second.version, third.version) == (2, 3) and third.note is None and len(third.quotes) == 2
    assert [p.text for p in third.phrasings] == [
        "How did Myanmar trainers sell SCORE alone?", "selling score in myanmar"]
    history = curation.store.history(made.id)
    assert [(v.version, v.editor) for v in history.versions] == [
        (1, "ann@example.org"), (2, "bob@example.org"), (3, "ann@example.org")]
    assert history.versions[0].question == QUESTION  # never overwritten
    diff = curation.store.diff(made.id, 1, 2)
    assert "-Question: How did trainers in Myanmar sell SCORE?" in diff
    assert f"+Quote [2] ({chunk.chunk_id}): {ORIENTATION}" in diff
    assert "-Moderator's note: Check with the country team." in curation.store.diff(made.id, 2, 3)
    phrasing_only = curation.store.update(ann, made.id, Changes(phrasings=[]))
    assert phrasing_only.version == 3 and len(phrasing_only.phrasings) == 1  # no body change: no new version
    with pytest.raises(CurationError, match="unknown country 'Atlantis'"):
        curation.create(ann, "q", myanmar_quotes(small_assistant.index), country="Atlantis")


def test_lifecycle_draft_published_retired(database, people, small_assistant):
    curation = service(database, small_assistant.index)
    store = curation.store
    draft = curation.create(people["ann"], QUESTION, myanmar_quotes(small_assistant.index))
    assert store.published_for_matching() == []
    published = curation.publish(people["bob"], draft.id)
    assert (published.status, published.published_version, published.reviewer) == ("published", 1, "bob@example.org")
    [serving] = store.published_for_matching()
    assert (serving.id, serving.version, serving.curator, len(serving.quotes)) == (draft.id, 1, "bob@example.org", 2)
    with pytest.raises(CurationConflict, match="already published"):
        curation.publish(people["bob"], draft.id)

    edited = store.update(people["ann"], draft.id, Changes(note="New advice"))
    assert edited.pending_changes and edited.status == "published"
    [serving] = store.published_for_matching()
    assert serving.version == 1 and serving.note is None  # still the reviewed version until published again
    curation.publish(people["cy"], draft.id)
    assert store.published_for_matching()[0].version == 2

    retired = curation.retire(people["bob"], draft.id)
    assert retired.status == "retired" and store.published_for_matching() == []
    with pytest.raises(CurationConflict):
        curation.publish(people["bob"], draft.id)
    with pytest.raises(CurationConflict):
        store.update(people["bob"], draft.id, Changes(note="x"))
    assert [r.id for r in store.list(status="retired")] == [draft.id] and store.list(status="draft") == []
    assert [r.id for r in store.list(country=None)] == [draft.id]


def test_second_review_means_nobody_publishes_their_own_changes(database, people, small_assistant):
    curation = service(database, small_assistant.index, second_review=True)
    quotes = myanmar_quotes(small_assistant.index)
    with pytest.raises(SecondReviewRequired):
        curation.create(people["ann"], QUESTION, quotes, status="published")
    anns = curation.create(people["ann"], QUESTION, quotes)
    with pytest.raises(SecondReviewRequired, match="another moderator or admin"):
        curation.publish(people["ann"], anns.id)
    admins = curation.create(people["cy"], "What did Ghana prioritise?", quotes[:1])
    with pytest.raises(SecondReviewRequired):
        curation.publish(people["cy"], admins.id)  # an admin neither
    assert curation.publish(people["bob"], anns.id).reviewer == "bob@example.org"
    assert curation.publish(people["ann"], admins.id).status == "published"
    curation.store.update(people["bob"], anns.id, Changes(note="bob's addition"))
    with pytest.raises(SecondReviewRequired):
        curation.publish(people["bob"], anns.id)  # bob wrote version 2
    assert curation.publish(people["ann"], anns.id).published_version == 2


def test_a_phrasing_belongs_to_one_published_answer(database, people, small_assistant):
    curation = service(database, small_assistant.index)
    quotes = myanmar_quotes(small_assistant.index)
    first = curation.create(people["ann"], QUESTION, quotes, status="published")
    with pytest.raises(DuplicatePhrasing, match=f"published curated answer {first.id}") as refused:
        curation.create(people["bob"], "Other question", quotes, ["how did trainers in myanmar sell SCORE"])
    assert refused.value.curated_id == first.id
    second = curation.create(people["bob"], "Selling SCORE in Myanmar", quotes)
    with pytest.raises(DuplicatePhrasing):
        curation.store.add_phrasing(people["bob"], second.id, "How did trainers in Myanmar sell SCORE ?")
    with pytest.raises(DuplicatePhrasing):
        curation.store.update(people["bob"], second.id, Changes(phrasings=["HOW did trainers in Myanmar sell SCORE"]))
    curation.retire(people["ann"], first.id)
    assert len(curation.store.add_phrasing(people["bob"], second.id, QUESTION)
               .phrasings) == 2


def test_quotes_must_be_verbatim_in_a_known_passage(database, people, small_assistant):
    curation = service(database, small_assistant.index)
    chunk = chunk_with(small_assistant.index, MYANMAR)
    altered = "After donor funding ended, 250 enterprises fully covered the training cost themselves."
    with pytest.raises(QuoteNotVerbatim, match="quote 2 is not verbatim.*250 enterprises"):
        curation.create(people["ann"], "q", [QuoteInput(chunk_id=chunk.chunk_id, text=ORIENTATION),
                                             QuoteInput(chunk_id=chunk.chunk_id, text=altered)])
    with pytest.raises(UnknownChunk, match="'no-such-chunk'"):
        curation.create(people["ann"], "q", [QuoteInput(chunk_id="no-such-chunk", text=MYANMAR)])
    other = chunk_with(small_assistant.index, PERU)
    with pytest.raises(QuoteNotVerbatim):  # verbatim, but in another passage
        curation.create(people["ann"], "q", [QuoteInput(chunk_id=other.chunk_id, text=MYANMAR)])
    spread = MYANMAR.replace(" ", "\n  ")
    spaced = curation.create(people["ann"], "q", [QuoteInput(chunk_id=chunk.chunk_id, text=spread)])
    assert spaced.quotes[0].text == MYANMAR
    assert CurationStore(database).list() == [spaced]  # nothing was stored for the refused ones


def test_a_published_answer_reads_as_quotes_with_citations_and_a_labelled_note(database, people, small_assistant):
    index = small_assistant.index
    curation = service(database, index)
    peru = chunk_with(index, PERU)
    made = curation.create(people["ann"], QUESTION,
                           [*myanmar_quotes(index), QuoteInput(chunk_id=peru.chunk_id, text=PERU)],
                           note="<script>alert(1)</script> Ask the trainers' network.", status="published")
    [record] = curation.store.published_for_matching()
    answer = curated_answer(record, index, "how did myanmar trainers sell score", 0.91)
    assert answer.origin == "curated" and not answer.abstained
    assert [(c.n, c.quote) for c in answer.citations] == [(1, MYANMAR), (2, ORIENTATION), (3, PERU)]
    assert answer.citations[2].country == "Peru" and answer.citations[0].title == "Mini SCORE Update 2030"
    assert answer.citations[0].attribution.startswith("ILO, Mini SCORE Update 2030")
    assert f"“{MYANMAR}” [1]" in answer.text and f"“{PERU}” [3]" in answer.text
    assert f"**{NOTE_LABEL}** <script>alert(1)</script>" in answer.text  # stored as text; templates escape it
    assert "“<script>" not in answer.text  # the note is never shown as a quote
    info = answer.curated
    assert (info.id, info.version, info.curator, info.matched_phrasing, info.score) == (
        made.id, 1, "ann@example.org", "how did myanmar trainers sell score", 0.91)
    assert [p.chunk.chunk_id for p in answer.passages] == [chunk_with(index, MYANMAR).chunk_id, peru.chunk_id]


def test_suggested_phrasings_are_accepted_or_rejected(database, people, small_assistant):
    curation = service(database, small_assistant.index)
    made = curation.create(people["ann"], QUESTION, myanmar_quotes(small_assistant.index))
    suggestions = PhrasingSuggestions(database)
    first = suggestions.suggest(made.id, "myanmar: how do trainers find paying clients", 0.71)
    assert suggestions.suggest(made.id, "Myanmar how do trainers find paying clients?", 0.7) is None  # same words
    assert suggestions.suggest(made.id, "How did trainers in Myanmar sell SCORE", 0.9) is None  # already a phrasing
    second = suggestions.suggest(made.id, "what about donors in myanmar", 0.5)
    assert [s.id for s in suggestions.pending(made.id)] == [first.id, second.id]
    assert suggestions.accept(people["bob"], first.id, curation.store).status == "accepted"
    assert suggestions.reject(people["bob"], second.id).status == "rejected"
    with pytest.raises(CurationConflict):
        suggestions.reject(people["bob"], first.id)
    assert [(p.text, p.source) for p in curation.store.get(made.id).phrasings][-1] == (
        "myanmar: how do trainers find paying clients", "accepted-suggestion")
    assert suggestions.pending() == []


def _turn(chat: ChatStore, assistant, question: str, filters=None, conversation=None, context=None):
    answer = assistant.ask(question, assistant.filters(**(filters or {})))
    return chat.record_turn(conversation, filters or {}, context, answer, 5.0)


def test_the_queue_is_fed_filtered_and_acted_on(database, people, small_assistant):
    chat, queue = ChatStore(database), ModerationQueue(database)
    first = _turn(chat, small_assistant, "What did Ghana prioritise?")
    disliked = _turn(chat, small_assistant, "How many enterprises paid the full cost in Myanmar?",
                     conversation=first.conversation_id)
    chat.add_feedback(disliked.answer_id, "down", "Missing the year")
    abstained = _turn(chat, small_assistant, "Who won the football world cup in 2022?")
    for asked in ("How do trainers in Peru get paid?", "how do peru trainers get paid",
                  "Peru: how do trainers get paid"):
        _turn(chat, small_assistant, asked)
    assert feed_queue(database) >= 3
    assert feed_queue(database) == 0  # once per key

    items = queue.items()
    down = next(i for i in items if i.kind == "thumbs_down")
    assert (down.answer_id, down.detail, down.question) == (
        disliked.answer_id, "Missing the year", "How many enterprises paid the full cost in Myanmar?")
    assert any(i.kind == "abstained" and i.answer_id == abstained.answer_id for i in items)
    [repeated] = [i for i in items if i.kind == "repeated"]
    assert repeated.question == "How do trainers in Peru get paid?" and repeated.detail == "asked 3 times"
    assert queue.items(kind="abstained") == [i for i in items if i.kind == "abstained"]
    assert queue.items(since=down.created_at + timedelta(days=1)) == []

    view = queue.view(down.id)
    assert view.turn.answer_id == disliked.answer_id and view.turn.answer.passages
    assert [t.question for t in view.earlier] == ["What did Ghana prioritise?"]

    with pytest.raises(CurationError, match="not an active moderator or admin"):
        queue.assign(people["ann"], down.id, people["eve"].user_id)
    assigned = queue.assign(people["ann"], down.id, people["bob"].user_id)
    assert queue.items(assigned_to=people["bob"].user_id) == [assigned]
    with pytest.raises(CurationError, match="reason is required"):
        queue.dismiss(people["ann"], repeated.id, "  ")
    assert queue.dismiss(people["ann"], repeated.id, "Asked by one tester").status == "dismissed"
    curation = service(database, small_assistant.index)
    quotes = myanmar_quotes(small_assistant.index)
    made = curation.create(people["bob"], "How many enterprises paid in Myanmar?", quotes, from_item=down.id)
    assert queue.item(down.id).status == "done"
    abstained_item = next(i for i in items if i.kind == "abstained")
    curation.store.add_phrasing(people["bob"], made.id, abstained_item.question, from_item=abstained_item.id)
    assert queue.item(abstained_item.id).status == "done"
    with pytest.raises(CurationConflict):
        queue.dismiss(people["ann"], down.id, "late")
    actions = [a for _, a, _, _ in _audit(database)]
    assert {"queue.assigned", "queue.dismissed", "queue.done"} <= set(actions)


def test_due_for_review_shows_in_the_queue_and_publishing_reviews_it(database, people, small_assistant):
    curation = service(database, small_assistant.index)
    made = curation.create(people["ann"], QUESTION, myanmar_quotes(small_assistant.index),
                           status="published", review_by=date.today() - timedelta(days=1))
    assert curation.store.get(made.id).due_for_review()
    feed_queue(database)
    [due] = ModerationQueue(database).items(kind="due_for_review")
    assert due.curated_id == made.id
    curation.store.update(people["bob"], made.id, Changes(note="still right"))
    republished = curation.publish(people["cy"], made.id)
    assert republished.review_by == date.today() + timedelta(days=180) and not republished.due_for_review()
    assert ModerationQueue(database).item(due.id).status == "done"


def test_every_action_is_audited_and_no_entry_is_ever_changed(database, people, small_assistant):
    curation = service(database, small_assistant.index)
    before = _audit(database)
    made = curation.create(people["ann"], QUESTION, myanmar_quotes(small_assistant.index))
    curation.store.update(people["ann"], made.id, Changes(note="n"))
    with_phrasing = curation.store.add_phrasing(people["ann"], made.id, "selling score in myanmar")
    curation.store.remove_phrasing(people["ann"], made.id, with_phrasing.phrasings[-1].id)
    curation.publish(people["bob"], made.id)
    curation.retire(people["bob"], made.id)
    after = _audit(database)
    assert after[: len(before)] == before  # earlier entries untouched
    assert [(a, who, obj) for _, a, who, obj in after[len(before):]] == [
        ("curated.created", "ann@example.org", str(made.id)), ("curated.edited", "ann@example.org", str(made.id)),
        ("curated.phrasing_added", "ann@example.org", str(made.id)),
        ("curated.phrasing_removed", "ann@example.org", str(made.id)),
        ("curated.published", "bob@example.org", str(made.id)), ("curated.retired", "bob@example.org", str(made.id)),
    ]
    with database.read() as session:
        edited = session.scalars(select(AuditRow).where(AuditRow.action == "curated.edited")).one()
        assert edited.before["note"] is None and edited.after["note"] == "n" and edited.after["version"] == 2


@pytest.fixture(scope="module")
def two_builds(tmp_path_factory, embedder):
    """The small update indexed, then indexed again after an edit: Myanmar's passage changed, Peru's removed."""
    from assistant.config import Settings
    from assistant.ingest.build import ingest
    from assistant.qa.service import Assistant
    from tests.builders import SMALL_CATALOG, SMALL_UPDATE

    base = tmp_path_factory.mktemp("rebuilt")
    (base / "corpus").mkdir()
    (base / "corpus" / "catalog.toml").write_text(SMALL_CATALOG, encoding="utf-8")
    settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index")
    source = base / "corpus" / "mini-update.md"
    source.write_text(SMALL_UPDATE, encoding="utf-8")
    assert ingest(settings, embedder=embedder).ok
    before = Assistant(settings, embedder=embedder).index
    peru = SMALL_UPDATE[SMALL_UPDATE.index("## Latin America"):]
    source.write_text(SMALL_UPDATE.replace(peru, "").replace("25 enterprises", "27 enterprises"), encoding="utf-8")
    assert ingest(settings, embedder=embedder).ok
    return before, Assistant(settings, embedder=embedder).index


def test_a_changed_source_takes_the_answer_out_of_service_once(database, people, two_builds):
    from assistant.curation.staleness import check_sources

    before, after = two_builds
    curation = service(database, before)
    peru = chunk_with(before, PERU)
    changed = curation.create(people["ann"], QUESTION, myanmar_quotes(before),
                              status="published")
    removed = curation.create(people["ann"], "Who paid for suppliers in Peru?",
                              [QuoteInput(chunk_id=peru.chunk_id, text=PERU)], country="Peru", status="published")
    kept = curation.create(people["ann"], "What did Ghana prioritise?", [QuoteInput(
        chunk_id=chunk_with(before, "Priority went").chunk_id, text="Priority went to waste management")])
    assert check_sources(database, before).flagged == []

    report = check_sources(database, after)
    assert sorted(report.flagged) == [changed.id, removed.id] and report.checked == 3
    store = curation.store
    assert [store.get(i).status for i in (changed.id, removed.id, kept.id)] == ["needs_review", "needs_review", "draft"]
    assert store.published_for_matching() == []
    [change] = store.history(changed.id).source_changes
    assert MYANMAR in change.old_text and change.new_text is not None and "27 enterprises" in change.new_text
    diff = change.diff().splitlines()
    assert f"-{MYANMAR}" in diff and f"+{MYANMAR.replace('25', '27')}" in diff
    [gone] = store.history(removed.id).source_changes
    assert gone.new_text is None and PERU in gone.old_text
    queue = ModerationQueue(database)
    assert sorted(i.curated_id for i in queue.items(kind="source_changed")) == [changed.id, removed.id]
    audit = _audit(database)

    again = check_sources(database, after)  # idempotent
    assert again.flagged == [] and _audit(database) == audit and len(queue.items(kind="source_changed")) == 2

    fresh = CurationService(store, after)
    with pytest.raises(CurationConflict, match="changed or was removed"):
        fresh.publish(people["bob"], changed.id)
    new_myanmar = MYANMAR.replace("25", "27")
    fresh.update(people["ann"], changed.id, Changes(), quotes=[
        QuoteInput(chunk_id=chunk_with(after, new_myanmar).chunk_id, text=new_myanmar)])
    assert fresh.publish(people["bob"], changed.id).status == "published"
    assert [r.id for r in store.published_for_matching()] == [changed.id]
    assert queue.items(kind="source_changed", status="open")[0].curated_id == removed.id
    assert check_sources(database, after).flagged == []
