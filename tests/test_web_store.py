"""The app database, on SQLite and on PostgreSQL: Alembic migrations, lossless storage of turns,
feedback, survival of restarts, and concurrent turns of one conversation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from assistant.config import Settings
from assistant.db.chat_store import ChatStore
from assistant.db.engine import UnknownRecord, head_revision
from assistant.db.tables.base import Base
from assistant.db.tables.chat import ConversationRow, FeedbackRow, QuestionRow
from assistant.web.app import create_app

pytest_plugins = ["tests.postgres_server"]


@pytest.fixture
def store(database_url: str):
    store = ChatStore.open(Settings(database={"url": database_url}))
    yield store
    store.database.dispose()


def test_migrations_build_the_schema_of_the_models(store):
    assert {"conversations", "questions", "answers", "citations", "feedback", "alembic_version"} <= set(
        inspect(store.database.engine).get_table_names()
    )
    with store.database.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        version = MigrationContext.configure(connection).get_current_revision()
    assert version == head_revision()
    store.database.migrate()  # idempotent: a second start-up changes nothing


def test_a_stored_turn_comes_back_as_the_same_answer(store, small_assistant):
    filters = small_assistant.filters(country="Myanmar")
    answer = small_assistant.ask("How many enterprises paid the full training cost?", filters)
    turn = store.record_turn(None, filters.active(), None, answer, latency_ms=12.5)
    again = store.conversation(turn.conversation_id).turns
    assert len(again) == 1
    assert again[0].answer == answer
    assert again[0].requested_filters == {"country": "Myanmar"} and again[0].latency_ms == 12.5
    second = store.record_turn(turn.conversation_id, {}, answer.question, small_assistant.ask("and in Peru?"), 3.0)
    assert second.position == 2
    assert store.questions(turn.conversation_id) == [(answer.question, None), ("and in Peru?", answer.question)]


def test_abstentions_keep_their_closest_passages(store, small_assistant):
    answer = small_assistant.ask("Who won the football world cup in 2022?")
    turn = store.record_turn(None, {}, None, answer, 1.0)
    stored = store.turn(turn.answer_id).answer
    assert stored.abstained and stored.passages == answer.passages and not stored.citations


def test_feedback_is_kept_and_checked(store, small_assistant):
    turn = store.record_turn(None, {}, None, small_assistant.ask("What did Ghana prioritise?"), 1.0)
    store.add_feedback(turn.answer_id, "up", "  ")
    store.add_feedback(turn.answer_id, "down", "Missing the numbers")
    feedback = store.turn(turn.answer_id).feedback
    assert [(f.rating, f.comment) for f in feedback] == [("up", None), ("down", "Missing the numbers")]
    with pytest.raises(UnknownRecord):
        store.add_feedback(424242, "up", None)
    with pytest.raises(ValueError):
        store.add_feedback(turn.answer_id, "meh", None)  # type: ignore[arg-type]
    with pytest.raises(IntegrityError), store.database.unit_of_work() as session:  # the database checks it too
        session.add(FeedbackRow(answer_id=turn.answer_id, rating="meh"))


def test_unknown_conversation(store):
    with pytest.raises(UnknownRecord, match="no conversation"):
        store.conversation("0" * 32)
    assert not store.has_conversation("0" * 32)


def test_an_id_no_database_can_hold_is_unknown(store, small_assistant):
    odd = "ab\x00c"  # PostgreSQL text cannot hold NUL: a lookup must miss, not fail
    assert not store.has_conversation(odd) and store.questions(odd) == []
    with pytest.raises(UnknownRecord):
        store.conversation(odd)
    with pytest.raises(UnknownRecord):
        store.record_turn(odd, {}, None, small_assistant.ask("What did Ghana prioritise?"), 1.0)


def test_without_a_url_the_database_is_a_sqlite_file_in_var(tmp_path, monkeypatch, small_assistant):
    monkeypatch.chdir(tmp_path)
    store = ChatStore.open(Settings(database={"url": None}))
    try:
        store.record_turn(None, {}, None, small_assistant.ask("Who financed the suppliers in Peru?"), 1.0)
    finally:
        store.database.dispose()
    assert (tmp_path / "var" / "assistant.sqlite").is_file()
    assert store.database.url == f"sqlite:///{tmp_path / 'var' / 'assistant.sqlite'}"


def test_nothing_typed_is_lost_when_the_server_restarts(small_settings, small_assistant, database_url):
    settings = small_settings.replace(database={"url": database_url})
    with TestClient(create_app(settings, small_assistant)) as client:
        first = client.post("/api/ask", json={"question": "Which enterprises paid for the training themselves?"})
        conversation_id = first.json()["conversation_id"]
        client.post("/api/feedback", json={"answer_id": first.json()["answer_id"], "rating": "up"})
    # A new app on the same database file: a restarted server.
    with TestClient(create_app(settings, small_assistant)) as client:
        stored = client.get(f"/api/conversations/{conversation_id}").json()
        assert [t["question"] for t in stored["turns"]] == ["Which enterprises paid for the training themselves?"]
        assert stored["turns"][0]["answer"] == first.json()["answer"]
        assert stored["turns"][0]["feedback"][0]["rating"] == "up"
        page = client.get(f"/c/{conversation_id}")
        assert page.status_code == 200 and "Which enterprises paid for the training themselves?" in page.text
        follow = client.post("/api/ask", json={"question": "and in Peru?", "conversation_id": conversation_id})
        assert follow.json()["follow_up_of"] == "Which enterprises paid for the training themselves?"


def test_a_position_is_held_once_in_a_conversation(store, small_assistant):
    turn = store.record_turn(None, {}, None, small_assistant.ask("What did Ghana prioritise?"), 1.0)
    with pytest.raises(IntegrityError), store.database.unit_of_work() as session:
        session.add(QuestionRow(conversation_id=turn.conversation_id, position=1, text="again", filters={}))


def test_concurrent_turns_of_one_conversation_are_all_stored_once(store, small_assistant):
    answer = small_assistant.ask("Which enterprises paid for the training themselves?")
    first = store.record_turn(None, {}, None, answer, 1.0)
    writers, turns_each = 8, 5

    def write(writer: int) -> list[int]:
        return [store.record_turn(first.conversation_id, {}, None, answer, float(writer)).answer_id
                for _ in range(turns_each)]

    with ThreadPoolExecutor(writers) as pool:
        written = [answer_id for ids in pool.map(write, range(writers)) for answer_id in ids]
    stored = store.conversation(first.conversation_id).turns
    assert [t.position for t in stored] == list(range(1, writers * turns_each + 2))
    assert sorted(t.answer_id for t in stored) == sorted([first.answer_id, *written])


def test_a_turn_in_a_deleted_conversation_is_refused(store, small_assistant):
    answer = small_assistant.ask("What did Ghana prioritise?")
    turn = store.record_turn(None, {}, None, answer, 1.0)
    with store.database.unit_of_work() as session:
        session.delete(session.get(ConversationRow, turn.conversation_id))
    with pytest.raises(UnknownRecord, match="no conversation"):
        store.record_turn(turn.conversation_id, {}, None, answer, 1.0)
