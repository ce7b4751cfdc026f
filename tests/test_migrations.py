"""Migration 0003 (one question per position), up and down on a database holding conversations, on
SQLite and on PostgreSQL: no row is lost, and positions stored twice before it are renumbered."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from assistant.config import Settings
from assistant.db.chat_store import ChatStore
from assistant.db.engine import head_revision
from assistant.db.tables.chat import QuestionRow

pytest_plugins = ["tests.postgres_server"]

INDEX = "uq_questions_conversation_position"
TABLES = ("conversations", "questions", "answers", "citations", "feedback")


@pytest.fixture
def store(database_url: str):
    store = ChatStore.open(Settings(database={"url": database_url}))
    yield store
    store.database.dispose()


def _counts(store: ChatStore) -> dict[str, int]:
    with store.database.engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in TABLES}


def _indexes(store: ChatStore) -> set[str]:
    return {index["name"] for index in inspect(store.database.engine).get_indexes("questions")}


def test_0003_goes_down_and_up_keeping_every_turn(store, small_assistant):
    answer = small_assistant.ask("Which enterprises paid for the training themselves?")
    first = store.record_turn(None, {}, None, answer, 1.0)
    for _ in range(2):
        store.record_turn(first.conversation_id, {}, None, answer, 1.0)
    other = store.record_turn(None, {}, None, small_assistant.ask("What did Ghana prioritise?"), 1.0)
    store.add_feedback(other.answer_id, "up", "clear")
    before = _counts(store)
    assert INDEX in _indexes(store) and before["questions"] == 4 and before["citations"] > 0

    store.database.downgrade("0002")
    assert store.database.current_revision() == "0002"
    assert INDEX not in _indexes(store)
    assert _counts(store) == before

    store.database.migrate()
    assert store.database.current_revision() == head_revision() and INDEX in _indexes(store)
    assert _counts(store) == before
    assert [t.answer for t in store.conversation(first.conversation_id).turns] == [answer] * 3


def test_0003_renumbers_positions_stored_twice(store, small_assistant):
    answer = small_assistant.ask("Which enterprises paid for the training themselves?")
    first = store.record_turn(None, {}, None, answer, 1.0)
    second = store.record_turn(first.conversation_id, {}, None, answer, 2.0)
    store.database.downgrade("0002")
    # What two concurrent turns could leave before 0003: a third turn stored at position 2 as well.
    with store.database.engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO questions (conversation_id, position, text, filters, asked_at)"
            " SELECT conversation_id, 2, 'the twin', filters, asked_at FROM questions WHERE id = :id"
        ), {"id": second.question_id})
        twin = connection.execute(text("SELECT max(id) FROM questions")).scalar_one()
        connection.execute(text(
            "INSERT INTO answers (question_id, text, abstained, filters, passages, timings_ms, latency_ms, created_at)"
            " SELECT :twin, text, abstained, filters, passages, timings_ms, 3.0, created_at FROM answers"
            " WHERE question_id = :id"
        ), {"twin": twin, "id": second.question_id})

    store.database.migrate()
    turns = store.conversation(first.conversation_id).turns
    assert [(t.position, t.question, t.latency_ms) for t in turns] == [
        (1, answer.question, 1.0), (2, answer.question, 2.0), (3, "the twin", 3.0)
    ]
    with pytest.raises(IntegrityError), store.database.unit_of_work() as session:
        session.add(QuestionRow(conversation_id=first.conversation_id, position=3, text="again", filters={}))
    assert store.record_turn(first.conversation_id, {}, None, answer, 4.0).position == 4
