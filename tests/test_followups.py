"""Follow-ups read as standalone questions: the rewrite rules, the stored and shown reading, the
migration that stores it, and the conversation runner of the evaluator (real model, small index)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import inspect, text

from assistant.config import Settings
from assistant.db.chat_store import ChatStore
from assistant.db.engine import alembic_config
from assistant.evaluation.followups import (
    annotate_report,
    evaluate_conversations,
    is_conversation_set,
    load_conversation_set,
    read_as_agreement,
)
from assistant.evaluation.testsets import TestSetError, select_split
from assistant.qa.followups import read_follow_up, read_in_conversation
from assistant.templating import environment
from assistant.web.app import create_app
from assistant.web.conversation import Chat
from assistant.web.views import TurnView, turn_view

MARKET = "How did SCORE trainers in Myanmar market the training?"
PAID = "Which enterprises paid for the training themselves?"


@pytest.mark.parametrize(
    ("earlier", "follow_up", "read_as"),
    [
        # place → place, with its preposition kept
        (MARKET, "and in Africa?", "How did SCORE trainers in Africa market the training?"),
        ("What did enterprises in Peru save with 5S?", "what about Ecuador?",
         "What did enterprises in Ecuador save with 5S?"),
        ("What did trainers in the Philippines do about waste?", "and Peru?",
         "What did trainers in Peru do about waste?"),
        ("Who trained bakeries in Kenya?", "and the Philippines?", "Who trained bakeries in the Philippines?"),
        ("Which donors fund SCORE in India, the Philippines and South Africa?", "and in Ghana?",
         "Which donors fund SCORE in Ghana?"),
        ("Which countries in Asia used SCORE in the garment sector?", "and in Europe and Central Asia?",
         "Which countries in Europe and Central Asia used SCORE in the garment sector?"),
        # adjectives and possessives take the new place's matching form
        ("Which African countries delivered SCORE4Climate?", "and in Asia?",
         "Which Asian countries delivered SCORE4Climate?"),
        ("What results did Kyrgyz MSMEs report?", "what about the Indian ones?",
         "What results did Indian MSMEs report?"),
        ("How did Tunisian clothing firms cut defects?", "and Jordan?", "How did Jordan's clothing firms cut defects?"),
        ("What did Ecuador's Ministry of Tourism sign?", "and China?", "What did China's Ministry of Tourism sign?"),
        # a place inserted where the earlier question had none
        ("How was SCORE4Climate rolled out?", "and in Latin America?",
         "How was SCORE4Climate rolled out in Latin America?"),
        (PAID, "and in the Philippines?", "Which enterprises paid for the training themselves in the Philippines?"),
        # sector, module, group
        ("Where has SCORE been used with apparel companies in Latin America?", "and for hotels?",
         "Where has SCORE been used with hotels in Latin America?"),
        ("Which projects in Africa targeted the garment sector?", "and the food processing sector?",
         "Which projects in Africa targeted the food processing sector?"),
        ("How did SCORE help furniture makers and garment SMEs in Kenya?", "how about leather?",
         "How did SCORE help furniture makers and leather SMEs in Kenya?"),
        ("Which countries trained enterprises on the SCORE4Climate module?", "same for OSH?",
         "Which countries trained enterprises on the OSH module?"),
        ("How many Kyrgyz MSMEs were trained on Quality Management?", "and Workplace Cooperation?",
         "How many Kyrgyz MSMEs were trained on Workplace Cooperation?"),
        ("How many female trainers were certified in Ghana?", "and male?",
         "How many male trainers were certified in Ghana?"),
        ("What share of the new jobs in India went to women?", "and to contract workers?",
         "What share of the new jobs in India went to contract workers?"),
    ],
)
def test_a_follow_up_keeps_the_topic_and_replaces_what_it_names(earlier, follow_up, read_as):
    reading = read_follow_up(follow_up, earlier)
    assert reading.read_as == read_as
    assert reading.question == read_as and reading.context is None


@pytest.mark.parametrize(
    ("earlier", "follow_up"),
    [
        ("How did trainers get enterprises to pay for the training?", "how did they pay for it?"),
        ("How many SMEs did the ECONO-Biz project in Mauritius train?", "and how much did it cost?"),
        (MARKET, "and in Myanmar?"),  # the same place again names nothing new
        ("How did SCORE help garment MSMEs in India?", "and women?"),  # no group to replace
        (PAID, "same for OSH?"),  # no module to replace
    ],
)
def test_a_follow_up_that_names_nothing_to_replace_is_asked_with_context(earlier, follow_up):
    reading = read_follow_up(follow_up, earlier)
    assert reading.read_as is None and reading.replaces is None
    assert reading.question == follow_up and reading.context == earlier


def test_follow_ups_chain_on_the_latest_standalone_question():
    earlier = [(MARKET, None), ("and in Asia?", MARKET)]
    reading = read_in_conversation("and in Africa?", earlier)
    assert reading is not None and reading.read_as == "How did SCORE trainers in Africa market the training?"
    assert read_in_conversation("How much electricity did the bakery in Nairobi save?", earlier) is None
    assert read_in_conversation("and in Asia?", []) is None


# --- the chat stores the reading and shows it -------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path):
    store = ChatStore.open(Settings(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"}))
    yield store
    store.database.dispose()


def test_the_chat_asks_the_rewritten_question_and_stores_the_reading(store, small_assistant):
    chat = Chat(small_assistant, store)
    first = chat.ask(PAID)
    assert first.read_as is None and first.context is None
    follow = chat.ask("and in Peru?", conversation_id=first.conversation_id)
    read_as = "Which enterprises paid for the training themselves in Peru?"
    assert follow.question == follow.answer.question == "and in Peru?"  # the turn keeps what was typed
    assert follow.read_as == read_as and follow.context == PAID
    asked = small_assistant.ask(read_as)
    assert [p.chunk.chunk_id for p in follow.answer.passages] == [p.chunk.chunk_id for p in asked.passages]
    vague = chat.ask("how did they pay for it?", conversation_id=first.conversation_id)
    assert vague.read_as is None and vague.context == PAID  # asked with context, as before
    stored = store.conversation(first.conversation_id).turns
    assert [t.read_as for t in stored] == [None, read_as, None]
    assert [t.context for t in stored] == [None, PAID, PAID]


def test_the_turn_shows_how_a_follow_up_was_read_escaped(store, small_assistant):
    chat = Chat(small_assistant, store)
    first = chat.ask("Which enterprises in Myanmar paid <b>themselves</b>?")
    follow = chat.ask("and in Peru?", conversation_id=first.conversation_id)

    class WithReading:  # the view of the turn plus its reading, as the chat page hands it to the template
        def __init__(self, view: TurnView, read_as: str | None) -> None:
            self.view, self.read_as = view, read_as

        def __getattr__(self, name: str):
            return getattr(self.view, name)

    template = environment().get_template("_turn.html")
    html = template.render(turn=WithReading(turn_view(follow, small_assistant.index), follow.read_as))
    assert "Read as: Which enterprises in Peru paid &lt;b&gt;themselves&lt;/b&gt;?" in html
    assert 'class="read-as"' in html and "style=" not in html
    plain = template.render(turn=WithReading(turn_view(first, small_assistant.index), None))
    assert "Read as" not in plain


def test_the_chat_page_shows_read_as(small_settings, small_assistant, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    with TestClient(create_app(settings, small_assistant)) as client:
        first = client.post("/ask", data={"question": PAID}, headers={"HX-Request": "true"})
        conversation_id = first.headers["HX-Push-Url"][3:]
        follow = client.post("/ask", data={"question": "and in Peru?", "conversation_id": conversation_id},
                             headers={"HX-Request": "true"})
        assert "Read as: Which enterprises paid for the training themselves in Peru?" in follow.text


def test_the_api_returns_read_as(small_settings, small_assistant, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    with TestClient(create_app(settings, small_assistant)) as client:
        first = client.post("/api/ask", json={"question": PAID}).json()
        follow = client.post("/api/ask", json={"question": "and in Peru?",
                                               "conversation_id": first["conversation_id"]}).json()
        assert first["read_as"] is None
        assert follow["read_as"] == "Which enterprises paid for the training themselves in Peru?"
        assert follow["question"] == "and in Peru?" and follow["follow_up_of"] == PAID
        stored = client.get(f"/api/conversations/{first['conversation_id']}").json()["turns"]
        assert [t["read_as"] for t in stored] == [None, follow["read_as"]]


# --- migration 0002 ---------------------------------------------------------------------------------


def _alembic(store: ChatStore, action, revision: str) -> None:
    config = alembic_config()
    with store.database.engine.begin() as connection:
        config.attributes["connection"] = connection
        action(config, revision)


def test_migration_0002_adds_and_drops_read_as_keeping_the_turns(store, small_assistant):
    from assistant.db.engine import head_revision

    chat = Chat(small_assistant, store)
    first = chat.ask(PAID)
    follow = chat.ask("and in Peru?", conversation_id=first.conversation_id)
    assert store.database.current_revision() == head_revision()

    _alembic(store, command.downgrade, "0001")
    assert store.database.current_revision() == "0001"
    assert "read_as" not in {c["name"] for c in inspect(store.database.engine).get_columns("questions")}
    with store.database.engine.connect() as connection:
        rows = connection.execute(text("SELECT text, context FROM questions ORDER BY position")).all()
        answers = connection.execute(text("SELECT count(*) FROM answers")).scalar()
    assert [tuple(r) for r in rows] == [(PAID, None), ("and in Peru?", PAID)] and answers == 2

    _alembic(store, command.upgrade, "head")
    assert store.database.current_revision() == head_revision()
    turns = store.conversation(first.conversation_id).turns
    assert [t.question for t in turns] == [PAID, "and in Peru?"]
    assert [t.read_as for t in turns] == [None, None]  # a reading dropped by the downgrade is not invented
    assert turns[1].answer == follow.answer
    again = chat.ask("and in Ghana?", conversation_id=first.conversation_id)
    assert store.turn(again.answer_id).read_as == "Which enterprises paid for the training themselves in Ghana?"


# --- evaluating conversations ----------------------------------------------------------------------

SMALL_CONVERSATIONS = [
    {"id": "c1", "turns": ["Which enterprises in Myanmar paid for the training themselves?", "and in Peru?"],
     "read_as": "Which enterprises in Peru paid for the training themselves?", "type": "fact",
     "expected_sections": ["Peru"], "must_contain": ["lead buyer financed"], "split": "tune", "replaces": "place"},
    {"id": "c2", "turns": ["How many SMEs in Ghana completed the Workplace Cooperation module?", "same for OSH?"],
     "read_as": "How many SMEs in Ghana completed the OSH module?", "type": "fact",
     "expected_sections": ["Ghana"], "must_contain": ["120 SMEs"], "split": "holdout", "replaces": "module"},
    {"id": "c3", "turns": ["What did SCORE achieve in Peru?", "and in Vietnam?"],
     "read_as": "What did SCORE achieve in Viet Nam?", "type": "unanswerable",
     "expected_sections": [], "must_contain": [], "split": "tune", "replaces": "place"},
]


def _write(path: Path, rows: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_the_conversation_runner_answers_the_follow_up_as_the_chat_does(tmp_path, small_assistant):
    path = _write(tmp_path / "conversations.jsonl", SMALL_CONVERSATIONS)
    assert is_conversation_set(path)
    cases = load_conversation_set(path)
    assert [c.first for c in cases] == [row["turns"][0] for row in SMALL_CONVERSATIONS]
    assert [c.question for c in cases] == [row["turns"][1] for row in SMALL_CONVERSATIONS]
    assert [c.id for c in select_split(cases, "tune")] == ["c1", "c3"]
    assert read_as_agreement(cases) == round(2 / 3, 4)  # c3 is read as "Vietnam", labelled "Viet Nam"

    summary = evaluate_conversations(small_assistant, cases, k=3)
    peru, ghana, vietnam = summary.results
    assert peru.answer.question == "Which enterprises in Peru paid for the training themselves?"
    assert peru.first_support_rank == 1  # the runner retrieves for the rewritten question (quality: eval)
    assert ghana.answer.question == "How many SMEs in Ghana completed the OSH module?"
    assert "Ghana" in {p.chunk.country for p in ghana.answer.passages}
    assert vietnam.answer.abstained and vietnam.passed
    assert summary.metrics["read_as_agreement"] == round(2 / 3, 4) and summary.metrics["questions"] == 3

    before = evaluate_conversations(small_assistant, cases, k=3, rewrite=False)
    assert before.results[0].answer.question == "and in Peru?" and before.metrics["read_as_agreement"] is None

    report = annotate_report({"definitions": {}, "questions": [{"id": "c1"}, {"id": "c3"}]}, cases)
    assert "read_as_agreement" in report["definitions"]
    assert report["questions"][0]["conversation"]["read_as_agrees"] is True
    assert report["questions"][1]["conversation"]["read_as"] == "What did SCORE achieve in Vietnam?"


def test_a_malformed_conversation_set_names_every_bad_line(tmp_path):
    rows = [
        SMALL_CONVERSATIONS[0],
        {**SMALL_CONVERSATIONS[1], "turns": ["only one turn"]},
        "{not json",
        {**SMALL_CONVERSATIONS[2], "id": "c1", "type": "maybe"},
        {**SMALL_CONVERSATIONS[2], "id": "c4", "replaces": "weather"},
    ]
    with pytest.raises(TestSetError) as error:
        load_conversation_set(_write(tmp_path / "bad.jsonl", rows))
    message = str(error.value)
    assert "bad.jsonl:2: error: turns must be a list of 2 non-empty strings" in message
    assert "bad.jsonl:3: error: not valid JSON" in message
    assert "bad.jsonl:4: error: duplicate id 'c1'" in message and "unknown type 'maybe'" in message
    assert "bad.jsonl:5: error: replaces must be one of" in message
    assert not is_conversation_set(_write(tmp_path / "single.jsonl", [{"id": "q", "question": "Peru?"}]))


def test_eval_run_takes_a_conversation_set_and_its_split(tmp_path, small_settings, embedder, monkeypatch):
    from typer.testing import CliRunner

    from assistant.cli import app
    from assistant.cli import eval as cli_eval
    from assistant.qa.service import Assistant

    monkeypatch.setattr(cli_eval, "make_assistant", lambda settings: Assistant(settings, embedder=embedder))
    path = _write(tmp_path / "conversations.jsonl", SMALL_CONVERSATIONS)
    out = tmp_path / "report"
    result = CliRunner().invoke(app, ["eval", str(path), "--split", "tune", "--k", "3", "--index",
                                      str(small_settings.index_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "read_as_agreement" in result.stdout and "questions                2" in result.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["run"]["split"] == "tune" and report["metrics"]["read_as_agreement"] == 0.5
    assert {row["id"]: row["conversation"]["turns"][1] for row in report["questions"]} == {
        "c1": "and in Peru?", "c3": "and in Vietnam?"}
    bad = _write(tmp_path / "bad.jsonl", [{**SMALL_CONVERSATIONS[0], "turns": "and in Peru?"}])
    refused = CliRunner().invoke(app, ["eval", str(bad), "--index", str(small_settings.index_dir)])
    assert refused.exit_code == 2 and "turns must be a list of 2 non-empty strings" in refused.output
