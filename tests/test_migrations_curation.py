"""Migration 0005 (curation) up and down, on SQLite and PostgreSQL, on a database holding chat turns,
feedback and accounts: nothing of theirs is lost, old answers read as extracted, and a curated
answer's origin, CuratedInfo and "more" come back as stored."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, text

from assistant.db.chat_store import ChatStore
from assistant.db.engine import head_revision
from assistant.models import CuratedInfo
from tests import test_migrations

pytest_plugins = ["tests.postgres_server"]
store = test_migrations.store  # a migrated ChatStore, on SQLite then PostgreSQL

CHAT_TABLES = ("conversations", "questions", "answers", "citations", "feedback", "users", "audit_log")
CURATION_TABLES = {"curated_answers", "curated_versions", "curated_phrasings", "suggested_phrasings",
                   "source_changes", "moderation_items"}


def _counts(store: ChatStore) -> dict[str, int]:
    with store.database.engine.connect() as connection:
        return {t: connection.execute(text(f"SELECT count(*) FROM {t}")).scalar_one() for t in CHAT_TABLES}


def _answer_columns(store: ChatStore) -> set[str]:
    return {column["name"] for column in inspect(store.database.engine).get_columns("answers")}


def test_0005_goes_down_and_up_keeping_every_turn(store, small_assistant):
    from assistant.db.accounts_store import AccountsStore
    from assistant.db.audit import Actor

    AccountsStore(store.database).add_user("ann@example.org", "moderator", "correct horse battery", Actor("test"))
    answer = small_assistant.ask("Which enterprises paid for the training themselves?")
    first = store.record_turn(None, {}, None, answer, 1.0)
    second = store.record_turn(first.conversation_id, {}, answer.question, small_assistant.ask("and in Peru?"), 2.0)
    store.add_feedback(second.answer_id, "down", "not Peru")
    store.database.downgrade("0004")
    assert store.database.current_revision() == "0004"
    assert not CURATION_TABLES & set(inspect(store.database.engine).get_table_names())
    assert not {"origin", "curated", "more"} & _answer_columns(store)
    before = _counts(store)
    assert before["questions"] == 2 and before["citations"] > 0 and before["feedback"] == 1

    store.database.migrate()
    assert store.database.current_revision() == head_revision()
    assert CURATION_TABLES <= set(inspect(store.database.engine).get_table_names())
    assert _counts(store) == before
    turns = store.conversation(first.conversation_id).turns
    assert [t.answer.origin for t in turns] == ["extracted", "extracted"]
    assert turns[0].answer == answer and turns[1].feedback[0].comment == "not Peru"

    store.database.downgrade("0004")
    assert _counts(store) == before
    store.database.migrate()
    assert _counts(store) == before


def test_a_curated_answer_keeps_its_origin_info_and_more(store, small_assistant):
    extracted = small_assistant.ask("How did trainers in Myanmar sell SCORE?")
    info = CuratedInfo(id=7, version=2, curator="ann@example.org", reviewed_at=datetime(2030, 1, 2, tzinfo=UTC),
                       matched_phrasing="how did myanmar trainers sell score", score=0.93)
    curated = extracted.model_copy(update={"origin": "curated", "curated": info, "more": extracted})
    turn = store.record_turn(None, {}, None, curated, 3.0)
    again = store.turn(turn.answer_id).answer
    assert again.origin == "curated" and again.curated == info and again.more == extracted
    assert again == curated
