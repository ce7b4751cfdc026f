"""Follow-up questions: which questions lean on the conversation, and the standalone question they mean.

Owns the follow-up rule (``is_follow_up``), which earlier question a follow-up is read with (the
latest one asked on its own), and reading a follow-up as a standalone question: the earlier
question's topic with the one thing the follow-up names swapped in. Pure text work on the project's
vocabulary (``text.geography``, ``text.vocabulary``); it must not ask, store or know about HTTP.

What a follow-up can replace, tried in this order (one slot per follow-up):

- **place**: countries and SCORE regions it names ("and in Africa?", "And the Peruvian companies?")
  replace the earlier question's place in the form it had there ("in Myanmar" → "in Africa",
  "Ecuador's" → "China's", "Kyrgyz MSMEs" → "Indian MSMEs"); with no place there, "in <place>" is appended.
- **module**: a SCORE module ("same for OSH?") replaces the earlier module; so does a training offer
  ("and the orientation training?").
- **group**: people ("and male?", "and to contract workers?", "youth-led ones") replace the earlier
  group (``_GROUP``).
- **sector**: a short noun phrase ("and for hotels?", "how about ship maintenance?") replaces the
  lower-case words before a sector noun of the earlier question ("the garment sector", ``_SECTOR``).

A follow-up that names nothing to replace ("how did they pay for it?", "and how much did it cost?")
is not rewritten: it is asked with the earlier question as context.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import pycountry

from assistant.text.geography import REGIONS, countries_in_text
from assistant.text.vocabulary import MODULES

# Questions of at most this many words lean on the conversation ("Peru?", "and in Asia?").
SHORT_QUESTION_WORDS = 4
# Questions this short with a pronoun ("What did they do in Peru?") do too.
ANAPHORIC_QUESTION_WORDS = 8

_CONTINUATION = re.compile(
    r"^\s*(and|but|also|or|plus|then|so|same|what about|how about|what else|anything else|any other)\b", re.I
)
_ANAPHOR = re.compile(r"\b(they|them|their|it|its|this|that|these|those|there|such)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")

_TOKEN = re.compile(r"[^\W\d_][\w-]*(?:['’]s\b)?")  # a word that may be part of a place name, possessive kept
_POSSESSIVE = re.compile(r"['’]s$")
_COMMON_NOUN_NAME = re.compile(r"\b(Republic|Islands|States|Kingdom|Emirates)$")  # "the United States"
_THE = re.compile(r"\bthe $", re.IGNORECASE)

# The term a follow-up adds is what is left once its continuation words are stripped ("and for hotels?").
_LEAD = re.compile(
    r"^\s*(?:(?:and|but|also|or|plus|then|so|same|question|thing|what|how|about|any|for|in|to|with|on|at|the|over)"
    r"\b[\s,]*)+", re.IGNORECASE
)
_TAIL = re.compile(
    r"(?:[\s,]*\b(?:too|also|as well|then|instead|ones?|sectors?|industry|industries|in|for|to|with|on|"
    r"at|from)\b)*[\s?.!,]*$",
    re.IGNORECASE,
)
# A rest holding one of these is a question of its own ("how much did it cost"), not a term.
_NOT_A_TERM = re.compile(
    r"\b(how|what|which|who|whom|where|when|why|much|many|did|do|does|is|are|was|were|has|have|had|can|could|"
    r"will|would|it|they|them|their|its|this|that|these|those|there|he|she|we|you|i|numbers?|results?|examples?)\b",
    re.IGNORECASE,
)
_MAX_TERM_WORDS = 4

# Groups of people: a qualifier ("female", "contract", "youth-led") and/or a group noun.
_GROUP_NOUNS = (
    r"women|men|youth|young people|workers|employees|managers|supervisors|owners|entrepreneurs|migrants|"
    r"refugees|(?:persons|people) with disabilities"
)
_GROUP = re.compile(
    rf"\b(?:(?P<qualifier>female|male|young|contract|temporary|seasonal|migrant|[a-z]+-led)\b"
    rf"(?:\s+(?:{_GROUP_NOUNS})\b)?|(?:{_GROUP_NOUNS})\b)",
    re.IGNORECASE,
)
# Sectors: one or two lower-case words before a sector noun ("garment sector", "apparel companies").
_SECTOR_NOUNS = (
    r"sectors?|industry|industries|companies|enterprises|businesses|firms|factory|factories|MSMEs|SMEs|"
    r"producers|manufacturers"
)
_SECTOR = re.compile(rf"(?<![\w'’])(?P<words>[a-z][a-z-]*(?:\s+[a-z][a-z-]*)?)\s+(?P<noun>{_SECTOR_NOUNS})\b")
_SECTOR_NOUN = re.compile(rf"\b(?:{_SECTOR_NOUNS})$", re.IGNORECASE)
_NOT_A_SECTOR_WORD = re.compile(
    r"^(the|a|an|of|and|or|in|for|to|with|on|by|from|at|which|what|how|many|much|more|most|other|all|some|any|"
    r"these|those|their|its|our|participating|small|medium|large|local|new|certified|did|do|does|is|are|was|"
    r"were|has|have|had|be|been|that|this|every|each|both|such|own|trained|supported|beneficiary)$"
)
# Two words make a sector ("food processing") only after one of these, else the first may be a verb
# ("help garment MSMEs").
_BEFORE_TWO_WORDS = re.compile(r"(?:\b(?:the|a|an|their|its|our|with|for|in|of|on|to|from)|['’]s)\s+$", re.I)
# Training offers that can stand where a module does ("and the orientation training?").
_PROGRAMME = r"module|training|course|programme|program|sessions?|workshops?"


def is_follow_up(question: str) -> bool:
    """Whether a question only makes sense with the conversation before it."""
    words = len(_WORD.findall(question))
    if _CONTINUATION.match(question) or words <= SHORT_QUESTION_WORDS:
        return True
    return words <= ANAPHORIC_QUESTION_WORDS and bool(_ANAPHOR.search(question))


def latest_standalone(earlier: Sequence[tuple[str, str | None]]) -> str | None:
    """The question a follow-up is read with: of the (question, context) pairs, the latest without context.

    Chaining on the topic rather than on the previous turn keeps "and in Africa?" after "and in
    Asia?" about the topic, not about Asia.
    """
    if not earlier:
        return None
    return next((text for text, context in reversed(earlier) if context is None), earlier[-1][0])


@dataclass(frozen=True)
class Reading:
    """How a follow-up is read: as a rewritten standalone question, or with the earlier one as context."""

    follow_up: str
    earlier: str
    read_as: str | None = None  # the standalone question it means; None when nothing could be replaced
    replaces: str | None = None  # "place", "module", "group" or "sector"

    @property
    def question(self) -> str:
        """What is asked: the rewritten question, else the follow-up as typed."""
        return self.read_as or self.follow_up

    @property
    def context(self) -> str | None:
        """The earlier question retrieval reads the follow-up with, when it was not rewritten."""
        return None if self.read_as else self.earlier


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    text: str
    place: str  # canonical country or region
    form: str  # "name", "adjective" or "possessive"
    region: bool = False


# --- places ----------------------------------------------------------------------------------------


@lru_cache(maxsize=512)
def _country(place: str) -> tuple[frozenset[str], bool]:
    """A country's names (short, ISO, official; lower-case) and whether it is said with "the"."""
    try:
        country = pycountry.countries.lookup(place)
    except LookupError:
        return frozenset({place.lower()}), False
    official = getattr(country, "official_name", "") or ""
    names = frozenset(n.lower() for n in (place, country.name, getattr(country, "common_name", ""), official) if n)
    plural_with_the = place.endswith("s") and f"the {place}" in official  # the Philippines, the Netherlands
    return names, bool(_COMMON_NOUN_NAME.search(place)) or plural_with_the


def _takes_article(place: str) -> bool:
    return place == "Middle East" if place in REGIONS else _country(place)[1]


def _country_spans(text: str) -> list[_Span]:
    """Country mentions with their exact spans: the run of words (at most 4) that names one country."""
    tokens = list(_TOKEN.finditer(text))
    spans: list[_Span] = []
    i = 0
    while i < len(tokens):
        for n in range(min(4, len(tokens) - i), 0, -1):
            window = tokens[i : i + n]
            start, end = window[0].start(), window[-1].end()
            found = countries_in_text(text[start:end])
            if len(found) != 1 or n > 1 and (
                countries_in_text(text[window[1].start() : end]) == found
                or countries_in_text(text[start : window[-2].end()]) == found
            ):
                continue  # not one country, or a first or last word that is not part of its name
            words = text[start:end]
            bare = _POSSESSIVE.sub("", words)
            is_name = " ".join(bare.split()).lower() in _country(found[0])[0]
            form = "possessive" if bare != words else "name" if is_name else "adjective"
            spans.append(_Span(start, end, words, found[0], form))
            i += n
            break
        else:
            i += 1
    return spans


def _place_spans(text: str) -> list[_Span]:
    """Countries and SCORE regions a text names, in order ("South Africa" is a country, not Africa)."""
    spans = _country_spans(text)
    for region in sorted(REGIONS, key=len, reverse=True):
        for match in re.finditer(rf"\b{re.escape(region)}(n)?(['’]s)?\b", text, re.IGNORECASE):
            if not any(match.start() < s.end and s.start < match.end() for s in spans):
                form = "adjective" if match.group(1) else "possessive" if match.group(2) else "name"
                spans.append(_Span(match.start(), match.end(), match.group(0), region, form, region=True))
    return sorted(spans, key=lambda s: s.start)


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _new_place_phrase(old: _Span, new: list[_Span]) -> tuple[str, bool]:
    """The new place(s) in the grammatical form the old place had, and whether "the" may precede it."""
    if old.form == "adjective" and len(new) == 1 and new[0].form == "adjective":
        return new[0].text[:1].upper() + new[0].text[1:], False  # typed as an adjective too: "the Indian ones"
    joined = _join([s.place for s in new])
    if old.form == "name":
        return joined, True
    if old.form == "adjective" and len(new) == 1 and new[0].region and joined.endswith("a"):
        return joined + "n", False  # African, Asian, Latin American
    return joined + ("'" if joined.endswith("s") else "'s"), True


def _replace_place(earlier: str, new: list[_Span]) -> str | None:
    """The earlier question about the new place(s): its place replaced, or "in <place>" appended."""
    old_spans = _place_spans(earlier)
    if {s.place for s in new} <= {s.place for s in old_spans}:
        return None  # the same place again: the follow-up asks something else about it
    article = "the " if _takes_article(new[0].place) else ""
    if not old_spans:
        body = earlier.rstrip().rstrip("?.!").rstrip()
        return f"{body} in {article}{_join([s.place for s in new])}{earlier.rstrip()[len(body):] or '?'}"
    first = old_spans[0]
    start, end = first.start, first.end
    for other in old_spans[1:]:  # a list of places ("in India, the Philippines and Ghana") goes as one
        if re.fullmatch(r"\s*(?:,|and|or|&)?\s*(?:and|or)?\s*(?:the\s+)?", earlier[end : other.start]):
            end = other.end
    if _takes_article(first.place) and _THE.search(earlier[:start]):
        start -= 4
    phrase, article_ok = _new_place_phrase(first, new)
    if article_ok and not _THE.search(earlier[:start]):
        phrase = article + phrase
    return earlier[:start] + phrase + earlier[end:]


# --- modules, groups, sectors ----------------------------------------------------------------------


def _module_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, canonical module) of every SCORE module a text names, in order."""
    spans: list[tuple[int, int, str]] = []
    for name, patterns in MODULES.items():
        for match in (m for pattern in patterns for m in re.finditer(pattern, text, re.IGNORECASE)):
            if not any(match.start() < e and s < match.end() for s, e, _ in spans):
                spans.append((match.start(), match.end(), name))
    return sorted(spans)


def _replace_module(earlier: str, follow_up: str) -> str | None:
    """The earlier question with the module the follow-up names (as typed) in place of its own."""
    old, new = _module_spans(earlier), _module_spans(follow_up)
    if not old or not new or {m for *_, m in new} <= {m for *_, m in old}:
        return None
    start, end, _ = old[0]
    return earlier[:start] + follow_up[new[0][0] : new[0][1]] + earlier[end:]


def _replace_programme(earlier: str, term: str) -> str | None:
    """The earlier question with a training offer ("the orientation training") in place of its module."""
    old = _module_spans(earlier)
    if not old or not re.search(rf"\b(?:{_PROGRAMME})$", term, re.IGNORECASE):
        return None
    start, end, _ = old[0]
    following = re.match(rf"\s+(?:{_PROGRAMME})\b", earlier[end:], re.IGNORECASE)
    end += following.end() if following else 0
    start -= 4 if _THE.search(earlier[:start]) else 0
    return earlier[:start] + "the " + term + earlier[end:]


def _term(follow_up: str) -> str | None:
    """The noun phrase a follow-up adds ("hotels", "food processing", "contract workers"), if it is one."""
    term = _TAIL.sub("", _LEAD.sub("", follow_up)).strip()
    if not term or len(term.split()) > _MAX_TERM_WORDS or _NOT_A_TERM.search(term):
        return None
    return term if re.fullmatch(r"[^\W\d_][\w\s'’-]*", term) else None


def _replace_group(earlier: str, term: str) -> str | None:
    """The earlier question about another group of people ("female trainers" → "male trainers")."""
    new, old = _GROUP.search(term), _GROUP.search(earlier)
    if new is None or old is None or old.group(0).lower() == term.lower():
        return None
    start, end = old.span()
    if old.group("qualifier") and _GROUP.fullmatch(term) and new.group(0) == new.group("qualifier"):
        end = start + len(old.group("qualifier"))  # a qualifier for a qualifier: the group noun stays
    return earlier[:start] + term + earlier[end:]


def _replace_sector(earlier: str, term: str) -> str | None:
    """The earlier question about another sector: the words before its sector noun replaced."""
    for match in _SECTOR.finditer(earlier):
        words = match.group("words").split()
        while words and _NOT_A_SECTOR_WORD.match(words[0]):
            words = words[1:]
        if not words or any(_NOT_A_SECTOR_WORD.match(w) for w in words):
            continue
        if len(words) == 2 and not _BEFORE_TWO_WORDS.search(earlier[: match.end("words") - len(" ".join(words))]):
            words = words[1:]
        start, end = match.end("words") - len(" ".join(words)), match.end("words")
        # A term that is a noun of its own ("hotels", "agriculture businesses") takes the noun's place too.
        if _SECTOR_NOUN.search(term) or (term.endswith("s") and not re.search(r"(ss|us|ics)$", term)):
            end = match.end("noun")
        return earlier[:start] + term + earlier[end:]
    return None


# --- reading a follow-up ---------------------------------------------------------------------------


def read_follow_up(question: str, earlier_standalone_question: str) -> Reading:
    """How a follow-up is read after the conversation's latest standalone question (see the module doc)."""
    earlier = earlier_standalone_question
    rewritten: str | None = None
    replaces: str | None = None
    places = _place_spans(question)
    if places:
        rewritten, replaces = _replace_place(earlier, places), "place"
    if rewritten is None and _module_spans(question):
        rewritten, replaces = _replace_module(earlier, question), "module"
    term = _term(question) if rewritten is None and not places else None
    if term is not None:
        for kind, replace in (("module", _replace_programme), ("group", _replace_group), ("sector", _replace_sector)):
            if kind == "sector" and _GROUP.search(term):
                break  # a group the earlier question has no place for is not a sector
            rewritten, replaces = replace(earlier, term), kind
            if rewritten is not None:
                break
    if rewritten is None or rewritten.strip().lower() == earlier.strip().lower():
        return Reading(question, earlier)
    return Reading(question, earlier, " ".join(rewritten.split()), replaces)


def read_in_conversation(question: str, earlier: Sequence[tuple[str, str | None]]) -> Reading | None:
    """How a question is read after the (question, context) pairs before it; None when it stands alone."""
    standalone = latest_standalone(earlier)
    if standalone is None or not is_follow_up(question):
        return None
    return read_follow_up(question, standalone)
