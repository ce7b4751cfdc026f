"""Answer types: what kind of fact a question wants, and which kinds a sentence offers.

"How many / how much" wants a quantity, "when" a date, "who / which organisation" an actor, "how
did / how to" a description of what was done. General question words, not the phrases of
particular questions; the evidence model weighs a match of question and sentence kinds as one
feature among others (``qa.evidence``).
"""

from __future__ import annotations

import re

QUESTION_KINDS: tuple[str, ...] = ("quantity", "when", "who", "how")

_QUANTITY = re.compile(
    r"\b(how (?:many|much|long|big|large|often|far)|what (?:percentage|share|proportion|number|amount|rate)|"
    r"number of|per ?cent|percentage|by how much)\b",
    re.IGNORECASE,
)
_WHEN = re.compile(r"\b(when|what (?:year|date|month|day)|since when|how long ago)\b", re.IGNORECASE)
_WHO = re.compile(
    r"\b(who|whom|whose|which (?:donor|donors|organi[sz]ation|organi[sz]ations|ministry|ministries|partner|partners|"
    r"company|companies|institution|institutions|agency|agencies|government|brand|brands|buyer|buyers)|"
    r"funded by|financed by)\b",
    re.IGNORECASE,
)
_HOW = re.compile(
    r"\b(how (?:did|do|does|can|could|should|to|were|was|have|has)|what (?:did|do|does|can) .{0,40}\b(?:do|did)\b|"
    r"ways? to|tips?|steps?|approach(?:es)?|strateg(?:y|ies)|solutions?|ideas?)\b",
    re.IGNORECASE,
)

_NUMBER = re.compile(r"\d")
_MONTHS = r"January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = re.compile(rf"\b(?:(?:19|20)\d{{2}}|{_MONTHS})\b")
_ACTOR = re.compile(
    r"\b(?:Ministry|Ministries|Department|Agency|Government|Organi[sz]ation|Association|Chamber|Federation|"
    r"Institute|University|Bank|Foundation|Programme|Project|Council|Union|Company|Group|Ltd|Inc|[A-Z]{2,})\b"
)
_ACTION = re.compile(r"\b\w{3,}(?:ed|ing)\b")
# A sentence that states a difficulty rather than what was done about it.
_PROBLEM = re.compile(
    r"\b(not (?:always )?(?:able|easy|possible|enough)|unable|lack(?:s|ed|ing)? of|difficult(?:y|ies)?|"
    r"challenges?|constraints?|barriers?|obstacles?|reluctant|struggl\w*|hard to)\b",
    re.IGNORECASE,
)


def states_a_problem(sentence: str) -> bool:
    """Whether a sentence states a difficulty (a question asking how to do something wants solutions)."""
    return bool(_PROBLEM.search(sentence))


def question_kinds(question: str) -> set[str]:
    """The kinds of fact a question asks for (empty when it asks for none in particular)."""
    kinds = set()
    for name, pattern in (("quantity", _QUANTITY), ("when", _WHEN), ("who", _WHO), ("how", _HOW)):
        if pattern.search(question):
            kinds.add(name)
    return kinds


def sentence_kinds(sentence: str) -> set[str]:
    """The kinds of fact a sentence offers: quantities, dates, actors, descriptions of actions."""
    kinds = set()
    if _NUMBER.search(sentence):
        kinds.add("quantity")
    if _DATE.search(sentence):
        kinds.add("when")
    if _ACTOR.search(sentence):
        kinds.add("who")
    if len(_ACTION.findall(sentence)) >= 2:
        kinds.add("how")
    return kinds
