"""Countries and regions in the heading layouts documents use: small documents written here, the
three eval documents, and the bundled Annual Update, whose sections must not move."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from assistant.ingest.chunking import chunk_document
from assistant.ingest.sections import split_sections
from assistant.ingest.sources import load_document
from assistant.models import Section

ROOT = Path(__file__).resolve().parent.parent
EVAL_CORPUS = ROOT / "eval" / "documents" / "corpus"
ANNUAL_UPDATE = ROOT / "corpus" / "score-annual-update-2023-24.md"


def _sections(folder: Path, name: str, text: str) -> list[Section]:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return split_sections(load_document(path))


def _section_with(sections: list[Section], needle: str) -> Section:
    found = [s for s in sections if any(needle in line.text for line in s.lines)]
    assert len(found) == 1, needle
    return found[0]


def _place(sections: list[Section], needle: str) -> tuple[str | None, str]:
    section = _section_with(sections, needle)
    return section.country, section.region


# --- Headings led by a country, in every form --------------------------------------------------

CASE_STUDIES = """# Stories from the field

Short introduction to the collection.

## 1. Viet Nam - Wood products (1 December 2020)

### Challenge

Sawdust made up a third of the timber.

## 2. Kenya | Flower farm

Roses for export.

## 3. Cote d'Ivoire: cocoa cooperatives

Cocoa beans dried on racks.

## 4. TURKEY (automotive suppliers)

Brake parts for carmakers.

## 5. Bolivian bakery chain cuts waste

Bread left over each evening.

## 6. Fish canneries in Agadir (Morocco)

Sardines canned for export.

## 7. Sri Lanka's tea factories — suggestion schemes

Ideas from the rolling room.

## 8. Vietnam — furniture makers

Chairs for garden centres.
"""


def test_a_country_leading_a_heading_names_it_in_every_spelling(tmp_path):
    sections = _sections(tmp_path, "stories.md", CASE_STUDIES)
    expected = {
        "Sawdust made up": ("Vietnam", "Asia"),
        "Roses for export": ("Kenya", "Africa"),
        "Cocoa beans": ("Côte d'Ivoire", "Africa"),
        "Brake parts": ("Türkiye", "Europe and Central Asia"),
        "Bread left over": ("Bolivia", "Latin America"),
        "Sardines canned": ("Morocco", "Africa"),
        "Ideas from the rolling room": ("Sri Lanka", "Asia"),
        "Chairs for garden centres": ("Vietnam", "Asia"),
    }
    for needle, place in expected.items():
        assert _place(sections, needle) == place, needle
    # The heading keeps its own words in the path; each country gets its own fallback region.
    assert _section_with(sections, "Sawdust made up").heading_path == [
        "Asia",
        "1. Viet Nam - Wood products (1 December 2020)",
        "Challenge",
    ]
    assert _place(sections, "Short introduction") == (None, "global")


def test_a_country_mentioned_later_in_a_heading_does_not_name_it(tmp_path):
    text = """# Report

## Support funded by the Peruvian Government

Money for training.

## Ghana

### The third phase funded by the German Government

Phase three text.

## Bolivian and Peruvian cooperatives

Two countries at once.
"""
    sections = _sections(tmp_path, "report.md", text)
    assert _place(sections, "Money for training") == (None, "global")
    phase = _section_with(sections, "Phase three text")
    assert (phase.country, phase.heading_path) == (
        "Ghana",
        ["Africa", "Ghana", "The third phase funded by the German Government"],
    )
    # Two countries leading together are not one country's heading: the text stays in Ghana's story.
    assert _place(sections, "Two countries at once")[0] == "Ghana"


def test_region_headings_keep_their_countries(tmp_path):
    text = """# Update

## Latin America

### Peru

Peru text.

## AFRICA – stories of the year

### Kenya

Kenya text.

### A regional meeting

Meeting text.
"""
    sections = _sections(tmp_path, "update.md", text)
    assert _place(sections, "Peru text") == ("Peru", "Latin America")
    assert _place(sections, "Kenya text") == ("Kenya", "Africa")
    assert _section_with(sections, "Kenya text").heading_path == ["Africa", "Kenya"]


# --- The same country again is a sub-heading ---------------------------------------------------


def test_a_deeper_heading_naming_the_same_country_is_a_sub_heading(tmp_path):
    text = """# Update

## Asia

## Indonesia

### Partners in the programme

#### 1. Indonesian Export Agency (BEDO)

Agency text.

#### 2. Universities

University text.
"""
    sections = _sections(tmp_path, "update.md", text)
    agency = _section_with(sections, "Agency text")
    assert agency.country == "Indonesia"
    assert agency.heading_path == [
        "Asia",
        "Indonesia",
        "Partners in the programme",
        "1. Indonesian Export Agency (BEDO)",
    ]
    assert _section_with(sections, "University text").heading_path[-1] == "2. Universities"


def test_the_next_numbered_story_about_the_same_country_is_a_new_story(tmp_path):
    text = """# Stories

## 3. Peru - Knitwear

Knitwear text.

### Results

Knitwear results.

## 4. Peru - Coffee

Coffee text.
"""
    sections = _sections(tmp_path, "stories.md", text)
    assert _section_with(sections, "Coffee text").heading_path == ["Latin America", "4. Peru - Coffee"]


# --- A "Location:" line names the country the heading does not ---------------------------------


def test_a_location_line_gives_the_section_and_its_sub_sections_a_country(tmp_path):
    text = """# Stories

## 1. Knitting for export: a family workshop

**Location:** Arequipa, Peru

### Challenge

Late orders.

## 2. A dairy that measured its milk

Funded by: the German Government

Milk text.

## 3. A bakery that saved flour

Opening line one.
Opening line two.
Opening line three.
Country: Kenya
"""
    sections = _sections(tmp_path, "stories.md", text)
    late = _section_with(sections, "Late orders")
    assert (late.country, late.region) == ("Peru", "Latin America")
    assert late.heading_path == ["Latin America", "1. Knitting for export: a family workshop", "Challenge"]
    # A label that is not a place, and a place line below the opening lines, name nothing.
    assert _place(sections, "Milk text") == (None, "global")
    assert _place(sections, "Opening line one") == (None, "global")


def test_a_location_line_in_plain_text_is_text_not_a_heading(tmp_path):
    text = """FIELD NOTES

Notes from enterprise visits.

Workshop Visit Notes

Location: Arequipa, Peru

The knitters agreed on a calendar.
"""
    sections = _sections(tmp_path, "notes.txt", text)
    visit = _section_with(sections, "The knitters agreed")
    assert (visit.country, visit.heading_path) == ("Peru", ["Latin America", "Workshop Visit Notes"])
    assert any(line.text == "Location: Arequipa, Peru" for line in visit.lines)


# --- Leaving a country: numbering continuity ---------------------------------------------------


def test_the_next_numbered_story_without_a_country_leaves_the_country(tmp_path):
    text = """# Stories

## 7. Colombia - Training in regions of armed conflict

### Results

Colombia results.

## 8. Weaving for export: a family workshop

Weaving text.

### Results

Weaving results.

## 9. CAMBODIA — hotels

Hotel text.
"""
    sections = _sections(tmp_path, "stories.md", text)
    assert _place(sections, "Colombia results") == ("Colombia", "Latin America")
    weaving = _section_with(sections, "Weaving results")
    assert (weaving.country, weaving.region) == (None, "global")
    assert weaving.heading_path == ["8. Weaving for export: a family workshop", "Results"]
    assert _place(sections, "Hotel text") == ("Cambodia", "Asia")


def test_a_sibling_story_under_a_region_heading_keeps_the_region(tmp_path):
    text = """# Stories

## Latin America

### 1. Peru - Knitwear

Knitwear text.

### 2. A regional trainers' meeting

Meeting text.
"""
    sections = _sections(tmp_path, "stories.md", text)
    meeting = _section_with(sections, "Meeting text")
    assert (meeting.country, meeting.region) == (None, "Latin America")
    assert meeting.heading_path == ["Latin America", "2. A regional trainers' meeting"]


def test_numbers_continuing_the_inner_sequence_stay_in_the_country(tmp_path):
    # The Annual Update's layout: "2." and "3." at the country's level continue "1." inside it.
    text = """# Update

## Latin America

## Peru

### Promotion by the Ministries

#### 1. The Ministry of Production

Production text.

## 2. The Ministry of Labor

Labor text.

## 3. SCORE Trainers

Trainer text.

## Middle East

### Jordan

Jordan text.
"""
    sections = _sections(tmp_path, "update.md", text)
    for needle, last in (("Labor text", "2. The Ministry of Labor"), ("Trainer text", "3. SCORE Trainers")):
        section = _section_with(sections, needle)
        assert (section.country, section.region) == ("Peru", "Latin America")
        assert section.heading_path == ["Latin America", "Peru", last]
    assert _place(sections, "Jordan text") == ("Jordan", "Middle East")


def test_plain_text_capital_headings_name_countries_and_a_chapter_leaves_them(tmp_path):
    text = """FIELD NOTES

1. Walk-through inspection

Walk-through text.

GHANA - CASSAVA PROCESSORS

Cassava text.

NEPAL - BRICK KILNS

Brick text.

CHECKLIST FOR THE FIRST VISIT

Checklist text.
"""
    sections = _sections(tmp_path, "notes.txt", text)
    assert _place(sections, "Walk-through text") == (None, "global")
    assert _place(sections, "Cassava text") == ("Ghana", "Africa")
    assert _place(sections, "Brick text") == ("Nepal", "Asia")
    assert _place(sections, "Checklist text") == (None, "global")


# --- The eval documents ------------------------------------------------------------------------


def _eval_sections(name: str) -> list[Section]:
    return split_sections(load_document(EVAL_CORPUS / name))


def test_every_case_study_gets_its_country():
    sections = _eval_sections("score-case-studies.md")
    story_countries = {s.heading_path[1]: s.country for s in sections if len(s.heading_path) > 1}
    assert list(story_countries.values()) == [
        "Sri Lanka",
        "Vietnam",
        "Kenya",
        "Côte d'Ivoire",
        "Türkiye",
        "Bolivia",
        "Colombia",
        "Peru",
        "Cambodia",
        "Morocco",
    ]
    # Every section below a story heading (Challenge, What was done, Results) has the story's country.
    assert all(s.country for s in sections if s.heading_path)
    assert _place(sections, "Tejidos Misti") == ("Peru", "Latin America")


def test_the_field_notes_country_sections():
    sections = _eval_sections("osh-field-notes.txt")
    assert _place(sections, "cassava processing businesses near Kumasi") == ("Ghana", "Africa")
    assert _place(sections, "Two brick kilns in the Kathmandu Valley") == ("Nepal", "Asia")
    assert {s.country for s in sections} == {None, "Ghana", "Nepal"}


def test_the_manual_names_no_country():
    assert {s.country for s in _eval_sections("workplace-cooperation-manual.md")} == {None}


# --- The bundled Annual Update does not move ---------------------------------------------------

HS = "Highlights and Success Stories"
GLOBAL = "Updates at the Global Level"
WEBINAR = "SCORE Trainer Network Webinar – Turning challenges into opportunities"
CHALLENGES = "Common challenges in SCORE Training implementation and solutions"
ETHIOPIA = [
    HS,
    "Africa",
    "Ethiopia",
    "SCORE Training driven by local implementation partners in various sectors",
    "Strategic reorganization to optimize functionality and enhance productivity",
]
TUNISIA = [
    HS,
    "Africa",
    "Tunisia",
    "SCORE Training implemented in various sectors with the support from SECO, NORAD and GIZ",
]
INDONESIA = [HS, "Asia", "Indonesia", "SCORE promotion and implementation driven by public and private partners"]
PERU = [HS, "Latin America", "Peru"]

# Runs of consecutive chunks (900/150) as (chunks, country, region, heading path), recorded before
# the heading layouts work; it changed none of them.
ANNUAL_UPDATE_RUNS: list[tuple[int, str | None, str, list[str]]] = [
    (5, None, "global", []),
    (3, None, "global", ["Acknowledgements"]),
    (1, None, "global", ["Contents"]),
    (2, None, "global", [GLOBAL, "Message from the Global SCORE Team"]),
    (1, None, "global", [GLOBAL, "Receive updates and get in touch with us!"]),
    (2, None, "global", [GLOBAL, WEBINAR]),
    (1, None, "global", [GLOBAL, WEBINAR, CHALLENGES, "Common challenges experienced:"]),
    (2, None, "global", [GLOBAL, WEBINAR, CHALLENGES, "Solutions and insights shared:"]),
    (6, None, "global", ["SCORE4Climate Training Materials Available in Five Languages"]),
    (3, None, "global", ["Webinar on Greening SMEs towards a Just Transition from Policies to Practice"]),
    (
        3,
        "Egypt",
        "Africa",
        [HS, "Africa", "Egypt", "Working conditions, gender equality and compliance improved among Egyptian SMEs"],
    ),
    (1, "Ethiopia", "Africa", ETHIOPIA[:-1]),
    (1, "Ethiopia", "Africa", ETHIOPIA),
    (1, "Ethiopia", "Africa", [*ETHIOPIA, "Installation of curtain to enhance working environment"]),
    (2, "Ethiopia", "Africa", [*ETHIOPIA, "1. Kaizen Excellence Centre"]),
    (2, "Ethiopia", "Africa", [*ETHIOPIA, "2. African Operational Excellence Consultancy Service"]),
    (
        5,
        "Ghana",
        "Africa",
        [
            HS,
            "Africa",
            "Ghana",
            "The third phase of SCORE Programme completed for 272 SMEs funded by the German Government",
        ],
    ),
    (
        3,
        "Lesotho",
        "Africa",
        [
            HS,
            "Africa",
            "Lesotho",
            "Boosting competitiveness and combatting gender-based violence in the textile sector",
        ],
    ),
    (
        2,
        "Mauritius",
        "Africa",
        [
            HS,
            "Africa",
            "Mauritius",
            "Promoting environmental sustainability and economic prosperity through SCORE4Climate",
        ],
    ),
    (
        3,
        "South Africa",
        "Africa",
        [
            HS,
            "Africa",
            "South Africa",
            "Continuation of SCORE Training to strengthen the textile sector and local capacity",
        ],
    ),
    (1, "Tunisia", "Africa", TUNISIA),
    (1, "Tunisia", "Africa", [*TUNISIA, "1. Ship maintenance sector"]),
    (1, "Tunisia", "Africa", [*TUNISIA, "2. Clothing sector"]),
    (1, "Tunisia", "Africa", [*TUNISIA, "2. Clothing sector", "LATCO"]),
    (
        3,
        "Bangladesh",
        "Asia",
        [HS, "Asia", "Bangladesh", "Improving in Workplace Cooperation and gender equality at a garment factory"],
    ),
    (5, "China", "Asia", [HS, "Asia", "China", "A new SCORE MoU signed with the Ministry of Emergency Management"]),
    (2, "India", "Asia", [HS, "Asia", "India", "Promoting gender equality among garment and food processing MSMEs"]),
    (1, "Indonesia", "Asia", INDONESIA),
    (1, "Indonesia", "Asia", [*INDONESIA, "1. Indonesian Business and Export Development Organization (BEDO)"]),
    (1, "Indonesia", "Asia", [*INDONESIA, "2. Education institution"]),
    (1, "Indonesia", "Asia", [*INDONESIA, "3. Private consulting companies"]),
    (
        3,
        "Myanmar",
        "Asia",
        [HS, "Asia", "Myanmar", "Innovative delivery and promotion of SCORE Training by individual SCORE Trainers"],
    ),
    (
        3,
        "Philippines",
        "Asia",
        [
            HS,
            "Asia",
            "Philippines",
            "Successful SCORE implementation recognized by the Department of Trade and Industry",
        ],
    ),
    (
        2,
        "Albania",
        "Europe and Central Asia",
        [HS, "Europe and Central Asia", "Albania", "Successful SCORE pilot in the textile and clothing sector"],
    ),
    (
        4,
        "Kyrgyzstan",
        "Europe and Central Asia",
        [
            HS,
            "Europe and Central Asia",
            "Kyrgyzstan",
            "Promoting a Just Transition for MSMEs through SCORE4Climate training",
        ],
    ),
    (
        3,
        "Brazil",
        "Latin America",
        [
            HS,
            "Latin America",
            "Brazil",
            "Promoting Responsible Business, diversity and inclusion under government-funded project",
        ],
    ),
    (
        3,
        "Ecuador",
        "Latin America",
        [
            HS,
            "Latin America",
            "Ecuador",
            "Agreement signed with the Ministry of Tourism to continue SCORE implementation",
        ],
    ),
    (
        1,
        "Peru",
        "Latin America",
        [*PERU, "Continuous promotion of SCORE Training by the Ministries and individual SCORE Trainers"],
    ),
    (
        2,
        "Peru",
        "Latin America",
        [
            *PERU,
            "Continuous promotion of SCORE Training by the Ministries and individual SCORE Trainers",
            "1. The Ministry of Production",
        ],
    ),
    (1, "Peru", "Latin America", [*PERU, "2. The Ministry of Labor"]),
    (1, "Peru", "Latin America", [*PERU, "3. SCORE Trainers"]),
    (
        3,
        "Jordan",
        "Middle East",
        [HS, "Middle East", "Jordan", "Completion of SCORE pilot in the agri-food sector in collaboration with JCI"],
    ),
]


@pytest.fixture(scope="module")
def annual_update_runs() -> list[tuple[int, str | None, str, list[str]]]:
    chunks = chunk_document(load_document(ANNUAL_UPDATE), 900, 150)
    runs = itertools.groupby(chunks, key=lambda c: (c.country, c.region, tuple(c.heading_path)))
    return [(len(list(group)), country, region, list(path)) for (country, region, path), group in runs]


def test_the_annual_update_sections_are_unchanged(annual_update_runs):
    assert len(annual_update_runs) == len(ANNUAL_UPDATE_RUNS)
    for got, expected in zip(annual_update_runs, ANNUAL_UPDATE_RUNS, strict=True):
        assert got == expected
