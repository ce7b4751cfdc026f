"""The review queue's incremental feed, on SQLite and PostgreSQL: it reads only what is new (and a
window below its cursors for turns that commit late), its question clusters persist across feeds,
it gives the same items as one full scan of the history, two feeds at once count nothing twice, and
migration 0007 goes up and down."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from uuid import uuid4

import pytest
from sqlalchemy import delete, event, inspect, select, text, update

from assistant.db.chat_store import ChatStore
from assistant.db.engine import Database, head_revision
from assistant.db.moderation_queue import ModerationQueue
from assistant.db.queue_feed import feed, feed_queue
from assistant.db.tables.chat import AnswerRow, CitationRow, ConversationRow, QuestionRow
from assistant.db.tables.curation import QueueItemRow
from assistant.db.tables.queue_feed import ClusteredAnswerRow, FeedCursorRow, QuestionClusterRow

pytest_plugins = ["tests.postgres_server"]

PERU = ("How do trainers in Peru get paid?", "how do peru trainers get paid", "Peru: how do trainers get paid",
        "How are Peru trainers paid")
# What the small index answers: two citations (no item), one citation of one sentence (low confidence), nothing.
WELL = "How many enterprises paid the full training cost in Myanmar?"
THIN = "How many enterprises paid the full cost in Myanmar?"
FOOTBALL = "Who won the football world cup in 2022?"
FEED_TABLES = {"queue_feed_cursors", "question_clusters", "clustered_answers"}


@pytest.fixture(scope="module")
def answers(small_assistant):
    """The small assistant's answer to a question, asked once per module."""
    cache = {}

    def answer(question: str):
        if question not in cache:
            cache[question] = small_assistant.ask(question)
        return cache[question]
    return answer


def _turn(database, answers, question, conversation=None, context=None, read_as=None, **changes):
    answer = answers(question).model_copy(update=changes)
    return ChatStore(database).record_turn(conversation, {}, context, answer, 5.0, read_as=read_as)


def _items(database) -> list[QueueItemRow]:
    with database.read() as session:
        return list(session.scalars(select(QueueItemRow).order_by(QueueItemRow.id)))


def _cursor(database, name: str) -> int:
    with database.read() as session:
        return session.scalar(select(FeedCursorRow.last_id).where(FeedCursorRow.name == name))


def _clusters(database) -> list[tuple[str, int, bool]]:
    with database.read() as session:
        return [(c.question, c.turns, c.raised) for c in session.scalars(
            select(QuestionClusterRow).order_by(QuestionClusterRow.id))]


def _copy_turn(database, answer_id: int, new_id: int, question: str) -> None:
    """A turn stored with the answer id ``new_id``, as a transaction that took that id and committed late."""
    with database.unit_of_work() as session:
        source = session.get(AnswerRow, answer_id)
        conversation = ConversationRow(id=uuid4().hex)
        session.add(conversation)
        row = QuestionRow(conversation_id=conversation.id, position=1, text=question, filters={})
        row.answer = AnswerRow(
            id=new_id, text=source.text, abstained=source.abstained, abstain_reason=source.abstain_reason,
            filters=source.filters, passages=source.passages, timings_ms=source.timings_ms, latency_ms=1.0,
            citations=[CitationRow(**{c.key: getattr(cited, c.key) for c in CitationRow.__table__.columns
                                      if c.key not in ("id", "answer_id")}) for cited in source.citations])
        session.add(row)


def test_a_second_feed_reads_only_the_window_below_its_cursor(database, answers):
    turns = [_turn(database, answers, WELL) for _ in range(6)]
    feed_queue(database, rescan=2)
    assert _cursor(database, "answers") == turns[-1].answer_id
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)
    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        assert feed_queue(database, rescan=2) == 0
    finally:
        event.remove(database.engine, "before_cursor_execute", seen)
    assert not any("FROM question_clusters" in s for s in statements)  # nothing new: no cluster is read

    old, recent = turns[1].answer_id, turns[-1].answer_id  # below the window, inside it
    with database.unit_of_work() as session:
        session.execute(update(AnswerRow).where(AnswerRow.id.in_((old, recent))).values(abstained=True))
    assert feed_queue(database, rescan=2) == 1
    assert [i.answer_id for i in _items(database) if i.kind == "abstained"] == [recent]


def test_clusters_persist_across_feeds_and_raise_one_item(database, answers):
    for question in PERU[:2]:
        _turn(database, answers, question)
    feed_queue(database, rescan=1)
    assert _clusters(database) == [(PERU[0], 2, False)]
    assert not [i for i in _items(database) if i.kind == "repeated"]
    third = _turn(database, answers, PERU[2])
    feed_queue(database, rescan=1)
    [repeated] = [i for i in _items(database) if i.kind == "repeated"]
    assert (repeated.question, repeated.detail, repeated.answer_id) == (PERU[0], "asked 3 times", third.answer_id)
    _turn(database, answers, PERU[3])
    feed_queue(database, rescan=1)
    assert feed_queue(database, rescan=1) == 0
    assert [i.id for i in _items(database) if i.kind == "repeated"] == [repeated.id]
    assert _clusters(database) == [(PERU[0], 4, True)]


def test_turns_that_commit_late_inside_the_window_are_fed(database, answers):
    first = _turn(database, answers, FOOTBALL)
    gaps = [_turn(database, answers, WELL) for _ in range(2)]
    last = _turn(database, answers, WELL)
    with database.unit_of_work() as session:  # two ids taken by transactions that have not committed yet
        for gap in gaps:
            session.delete(session.get(ConversationRow, gap.conversation_id))
    feed_queue(database, rescan=2)
    assert _cursor(database, "answers") == last.answer_id
    _copy_turn(database, first.answer_id, gaps[1].answer_id, "Who won the world cup in 2022?")  # inside
    _copy_turn(database, first.answer_id, gaps[0].answer_id, "Who won the world cup in 2018?")  # below
    assert feed_queue(database, rescan=2) == 1
    assert [i.answer_id for i in _items(database) if i.kind == "abstained"] == [first.answer_id, gaps[1].answer_id]


def test_a_peer_that_commits_late_on_postgresql_is_fed(postgres, answers):
    database = Database(postgres.new_database())
    database.migrate()
    try:
        with database.unit_of_work() as late:  # takes its answer id first, commits after the feed
            row = QuestionRow(conversation_id=uuid4().hex, position=1, text=FOOTBALL, filters={})
            late.add(ConversationRow(id=row.conversation_id))
            row.answer = AnswerRow(text="No answer", abstained=True, filters={}, passages=[], timings_ms={},
                                   latency_ms=1.0)
            late.add(row)
            late.flush()
            other = _turn(database, answers, WELL)
            assert row.answer.id < other.answer_id
            feed_queue(database)
            assert _cursor(database, "answers") == other.answer_id
            assert not [i for i in _items(database) if i.kind == "abstained"]
        assert feed_queue(database) == 1
        assert [i.answer_id for i in _items(database) if i.kind == "abstained"] == [row.answer.id]
    finally:
        database.dispose()


def _snapshot(database) -> list[tuple]:
    return sorted((i.kind, i.answer_id, i.question, i.detail, i.country) for i in _items(database))


def test_fed_turn_by_turn_it_gives_the_items_of_one_full_scan(database, answers):
    chat = ChatStore(database)
    made = []
    history = [
        lambda: _turn(database, answers, WELL),
        lambda: _turn(database, answers, THIN, conversation=made[0].conversation_id),
        lambda: chat.add_feedback(made[1].answer_id, "down", "Missing the year"),
        lambda: chat.add_feedback(made[0].answer_id, "up", None),
        lambda: _turn(database, answers, FOOTBALL),
        lambda: _turn(database, answers, "Who financed the suppliers in Peru?", citations=[]),  # nothing cited
        lambda: _turn(database, answers, PERU[0]),
        lambda: _turn(database, answers, PERU[1]),
        lambda: _turn(database, answers, "And how do trainers in Peru get paid?", conversation=made[6].conversation_id,
                      context=PERU[0]),  # read with context: not counted
        lambda: _turn(database, answers, "and there?", conversation=made[0].conversation_id, context=WELL,
                      read_as=PERU[2]),  # counted as the question it was read as
    ]
    for step in history:
        made.append(step())
        feed_queue(database, rescan=1)
    items = _snapshot(database)
    ids = [m.answer_id if hasattr(m, "question_id") else None for m in made]
    assert [(kind, answer_id, detail) for kind, answer_id, _, detail, _ in items if kind != "abstained"] == sorted([
        ("low_confidence", ids[1], "one quoted sentence"), ("low_confidence", ids[5], "no citation"),
        ("repeated", ids[9], "asked 3 times"), ("thumbs_down", ids[1], "Missing the year")])
    assert ("thumbs_down", ids[1], THIN, "Missing the year", "Myanmar") in items
    assert ("repeated", ids[9], PERU[0], "asked 3 times", None) in items
    assert {answer_id for kind, answer_id, *_ in items if kind == "abstained"} >= {ids[4], ids[6], ids[7]}

    _never_fed(database)
    assert feed_queue(database) == len(items)
    assert _snapshot(database) == items
    _never_fed(database)
    assert sum(feed_queue(database, rescan=1, batch=2) for _ in range(5)) == len(items)  # a backlog, a few rows a feed
    assert _snapshot(database) == items


def _never_fed(database) -> None:
    with database.unit_of_work() as session:
        for table in (QueueItemRow, ClusteredAnswerRow, QuestionClusterRow):
            session.execute(delete(table))
        session.execute(update(FeedCursorRow).values(last_id=0))


def test_two_feeds_at_once_count_each_turn_once(database, answers):
    for question in PERU[:3]:
        _turn(database, answers, question)
    results: list[int] = []
    with database.unit_of_work() as session:
        assert feed(session, datetime.now(UTC).date()) == 4  # three abstained, one repeated
        other = threading.Thread(target=lambda: results.append(feed_queue(database)))
        other.start()
        other.join(0.5)
        assert other.is_alive()  # waits for the first feed's lock
    other.join(30)
    assert results == [0]
    assert _clusters(database) == [(PERU[0], 3, True)]


def test_0007_goes_down_and_up_and_the_feed_rebuilds_its_state(database, answers):
    for question in PERU[:3]:
        _turn(database, answers, question)
    assert feed_queue(database) == 4  # three abstained, one repeated
    before = _snapshot(database)
    database.downgrade("0006")
    assert database.current_revision() == "0006"
    assert not FEED_TABLES & set(inspect(database.engine).get_table_names())
    with database.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM answers")).scalar_one() == 3
    database.migrate()
    assert database.current_revision() == head_revision()
    assert (_cursor(database, "answers"), _cursor(database, "feedback")) == (0, 0)
    assert feed_queue(database) == 0
    assert _snapshot(database) == before and _clusters(database) == [(PERU[0], 3, True)]
    assert len(ModerationQueue(database).items(kind="repeated")) == 1
