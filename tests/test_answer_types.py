"""Answer types read from questions: what a "how many / how much" question counts, and money asks."""

from __future__ import annotations

import pytest

from assistant.text.answer_types import counted_terms, states_a_figure_of
from assistant.text.intents import asks_for_money


@pytest.mark.parametrize(
    ("question", "counted"),
    [
        ("How many hours does it take to deliver the module?", {"hour"}),
        ("how much CO2 did the SMEs cut?", {"co2"}),
        ("By how much did workplace accidents fall?", None),  # no counted thing right after
        ("How much quicker did quality checks get?", None),  # a degree, not a thing
        ("How many people were trained?", None),  # a figure of any kind answers
        ("How does the bakery decide how much to bake?", None),
        ("What did the programme achieve?", None),
    ],
)
def test_counted_terms(question, counted):
    assert counted_terms(question) == counted


def test_counted_things_match_their_other_names_and_misspellings():
    firms = counted_terms("How many small firms got the training?")
    assert states_a_figure_of("42 SMEs completed the assessment.", firms)
    assert not states_a_figure_of("SMEs completed the assessment.", firms)  # no figure
    misspelt = counted_terms("how many enterprizes had done a baseline assessment")
    assert states_a_figure_of("42 enterprises have completed baseline assessments.", misspelt)
    hours = counted_terms("How many hours does the module take?")
    assert not states_a_figure_of("29 trainer candidates were trained.", hours)
    assert states_a_figure_of("29 trainer candidates were trained.", hours, on_topic=True)


@pytest.mark.parametrize(
    ("question", "money"),
    [
        ("What's Egypt's current minimum wage in pounds?", True),
        ("how much did the Government of Flanders give for the project", True),
        ("How much does an Expert Trainer earn per day?", True),
        ("How did the firms update their wage policies?", False),
        ("how much waste did they cut", False),
    ],
)
def test_money_asked_in_other_words(question, money):
    assert asks_for_money(question) is money
