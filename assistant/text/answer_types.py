"""Answer types: what kind of fact a question wants, and which kinds a sentence offers.

"How many / how much" wants a quantity, "when" a date, "who / which organisation" an actor, "how
did / how to" a description of what was done. General question words, not the phrases of
particular questions; the evidence model weighs a match of question and sentence kinds as one
feature among others (``qa.evidence``).
"""

from __future__ import annotations

import re

from assistant.text.tokens import tokenize

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


# A figure: a number standing on its own ("272", "7,488", "1.78", "95%"), not inside a word ("SCORE4Climate").
_FIGURE = re.compile(r"(?<![\w/.:-])\d[\d,]*(?:\.\d+)?(?![\w/:]|\.\d)")
_YEAR = re.compile(r"(?:19|20)\d{2}")
_UNIT = re.compile(r"\s?(?:%|per ?cent\b)", re.IGNORECASE)
_DATE_AFTER = re.compile(rf"\s?(?:{_MONTHS})\b")  # "3 March": a day
_DATE_BEFORE = re.compile(rf"\b(?:{_MONTHS})\s$")  # "March 3": a day
_LIST_NUMBER = re.compile(r"[.)]\s")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_MIN_FIGURE_WORDS = 4  # fewer words: a caption, a table cell or a form field, not a statement
_COLUMNS = re.compile(r"\t|[ \xa0]{3}")  # aligned columns: a table, not a statement
_SHORT_LINES = 20  # a sentence over several lines this short on average is a form or a list of labels


def _is_figure(sentence: str, match: re.Match[str]) -> bool:
    """Whether one number of a sentence is a quantity rather than a year, a day or a list number."""
    number, before, after = match.group(0).rstrip(",."), sentence[: match.start()], sentence[match.end() :]
    if _UNIT.match(after):
        return True
    if _YEAR.fullmatch(number) or _DATE_AFTER.match(after) or _DATE_BEFORE.search(before):
        return False
    return not (not before.strip() and _LIST_NUMBER.match(after))  # "1. Ship maintenance sector"


def states_a_quantity(sentence: str) -> bool:
    """Whether a sentence states a quantity ("272 SMEs", "95% cost recovery", "ETB 7,488 annually"):
    a stand-alone number that is not a year, a day of a date or the numbering that opens a list item,
    in a sentence of a few words at least that is laid out as prose."""
    lines = sentence.strip().splitlines()
    if len(_WORDS.findall(sentence)) < _MIN_FIGURE_WORDS or _COLUMNS.search(sentence):
        return False
    if len(lines) > 1 and sum(len(line) for line in lines) / len(lines) < _SHORT_LINES:
        return False
    return any(_is_figure(sentence, match) for match in _FIGURE.finditer(sentence))


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


# What a "how many / how much" question counts: the words after it, past auxiliaries and articles.
_AUXILIARY = r"(?:did|do|does|is|was|were|are|has|have|had|will|would|can|could|got|get|gets|of|the|a|an|to)"
# "How much did X earn" or "how much quicker" names no counted thing: only a noun right after counts.
_COMPARATIVE = (
    r"(?:more|less|fewer|quicker|faster|slower|higher|lower|bigger|smaller|better|cheaper|longer|shorter|greater)"
)
_COUNTED = re.compile(
    rf"\bhow (?:many|much)\s+(?!{_AUXILIARY}\b|{_COMPARATIVE}\b)((?:(?!{_AUXILIARY}\b)[\w-]+\s*){{1,3}})",
    re.IGNORECASE,
)
# Counted things a figure of any kind answers ("how many people…", "how much cash…": money has its
# own rule), and words that count the same things (a question's "firms" are a sentence's "SMEs").
_ANY_COUNT = {"peopl", "ppl", "person", "time", "one", "total", "number", "money", "cash", "fund"}
_SAME_THINGS = (
    {"enterpris", "firm", "compani", "sme", "smes", "busi", "factori", "plant", "supplier"},
    {"worker", "employe", "staff", "peopl", "particip", "person"},
    {"countri", "nation"},
)
# Stems agree on their first letters when one is misspelt ("enterprizes", "enterprises").
_PREFIX = 6


def counted_terms(question: str) -> set[str] | None:
    """The stemmed terms of what a "how many / how much" question counts, with the words that count
    the same things; None when it counts nothing in particular (or asks no such thing)."""
    match = _COUNTED.search(question)
    if match is None:
        return None
    terms = set(tokenize([match.group(1)])[0])
    if not terms or terms & _ANY_COUNT:
        return None
    for alike in _SAME_THINGS:
        if terms & alike:
            terms |= alike
    return terms


def _same_term(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= _PREFIX and a[:_PREFIX] == b[:_PREFIX])


def states_a_figure_of(sentence: str, terms: set[str], on_topic: bool = False) -> bool:
    """Whether a sentence gives a figure (a digit) and names one of the counted ``terms``, or is
    ``on_topic`` by other measures (the counted thing may be named in other words)."""
    if not _NUMBER.search(sentence):
        return False
    if on_topic:
        return True
    words = set(tokenize([sentence])[0])
    return any(_same_term(term, word) for term in terms for word in words)
