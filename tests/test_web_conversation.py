"""Follow-up questions: which questions lean on the conversation, and what they are read with.

How a follow-up is rewritten into a standalone question is tested in ``test_followups.py``.
"""

from __future__ import annotations

import pytest

from assistant.qa.followups import is_follow_up, read_in_conversation
from assistant.web.conversation import follow_up_context

PAY = "How did trainers get enterprises to pay for the training?"


@pytest.mark.parametrize(
    "question",
    ["and in Asia?", "What about Peru?", "Peru?", "more examples", "What did they do in Egypt?", "Also in Africa?"],
)
def test_short_or_elliptic_questions_are_follow_ups(question):
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        PAY,
        "How much electricity did the bakery in Nairobi save?",
        "Which donors fund SCORE in India, the Philippines and South Africa?",
        "What is the SCORE4Climate module about and who can teach it?",
    ],
)
def test_full_questions_stand_alone(question):
    assert not is_follow_up(question)


def test_follow_ups_chain_on_the_topic_not_on_the_previous_follow_up():
    earlier = [(PAY, None), ("and in Asia?", PAY)]
    assert follow_up_context("and in Africa?", earlier) == PAY
    assert follow_up_context("How much electricity did the bakery in Nairobi save?", earlier) is None
    assert follow_up_context("and in Asia?", []) is None


def test_and_in_asia_retrieves_asian_cost_coverage_stories(bundled_assistant):
    """The acceptance case of the chat: the follow-up, read as a standalone question, is answerable."""
    reading = read_in_conversation("and in Asia?", [(PAY, None)])
    assert reading is not None
    assert reading.read_as == "How did trainers get enterprises to pay for the training in Asia?"
    answer = bundled_assistant.ask(reading.question, context=reading.context)
    assert not answer.abstained
    assert {p.chunk.region for p in answer.passages[:3]} == {"Asia"}
    assert "fully covered the training cost" in answer.text


def test_and_in_africa_keeps_the_marketing_topic(bundled_assistant):
    """The bug report: after a question about marketing in Myanmar, "and in Africa?" is still about marketing."""
    reading = read_in_conversation("and in Africa?", [("How did SCORE trainers in Myanmar market the training?", None)])
    assert reading is not None and reading.read_as == "How did SCORE trainers in Africa market the training?"
    answer = bundled_assistant.ask(reading.question, context=reading.context)
    assert not answer.abstained
    assert {p.chunk.region for p in answer.passages} == {"Africa"}
