from assistant.text.geography import (
    countries_in_text,
    country_of_heading,
    country_of_label_line,
    country_of_name,
    region_of_country,
    region_of_heading,
    regions_in_text,
)
from assistant.text.headings import continues_numbering, heading_number


def test_country_names_adjectives_and_possessives_are_recognised():
    text = "How much do Tunisian partners charge? Kyrgyz MSMEs, Mauritius's project, SCORE Vietnam, Peruvian"
    assert countries_in_text(text) == ["Tunisia", "Kyrgyzstan", "Mauritius", "Vietnam", "Peru"]


def test_exact_names_win_over_derived_forms():
    assert countries_in_text("Nigerian and Niger") == ["Nigeria", "Niger"]


def test_names_are_whole_words_and_the_longest_form_wins():
    # A hyphen joins words: 'x-Peru' and 'Peru-based' are not the name, 'Guinea-Bissau' is one name.
    assert countries_in_text("x-Peru, Peru-based") == []
    found = countries_in_text("Guinea-Bissau and Guinea, Papua New Guinea")
    assert found == ["Guinea-Bissau", "Guinea", "Papua New Guinea"]
    assert countries_in_text("CÔTE D’IVOIRE’S cocoa, peruvian") == ["Côte d'Ivoire", "Peru"]
    assert regions_in_text("South Africa and Africa") == ["Africa"]


def test_south_africa_is_a_country_not_the_region():
    assert countries_in_text("projects in South Africa") == ["South Africa"]
    assert regions_in_text("projects in South Africa") == []
    assert regions_in_text("and in Asia? or Latin America") == ["Asia", "Latin America"]


def test_every_spelling_of_a_name_gives_one_display_name():
    for name in ("Viet Nam", "Vietnam", "VIETNAM"):
        assert country_of_name(name) == "Vietnam"
    for name in ("Türkiye", "Turkiye", "Turkey"):
        assert country_of_name(name) == "Türkiye"
    for name in ("Côte d'Ivoire", "Cote d'Ivoire", "Côte d’Ivoire", "Ivory Coast"):
        assert country_of_name(name) == "Côte d'Ivoire"
    assert country_of_name("Bolivia") == "Bolivia"
    assert country_of_name("Bolivian") is None  # an adjective is not a name


def test_headings_name_countries_only_when_they_are_a_country():
    assert country_of_heading("#### Egypt") == "Egypt"
    assert country_of_heading("► Peru") == "Peru"
    assert country_of_heading("2. The Ministry of Labor") is None
    assert country_of_heading("Message from the Global SCORE Team") is None


def test_a_country_leading_a_heading_before_a_separator_names_it():
    assert country_of_heading("1. Sri Lanka — Workplace Cooperation at a tea factory") == "Sri Lanka"
    assert country_of_heading("2. Viet Nam - Hoa Son Wood Products (1 December 2020)") == "Vietnam"
    assert country_of_heading("3. Kenya | Flower farm in Naivasha") == "Kenya"
    assert country_of_heading("4. Cote d'Ivoire: cocoa cooperatives") == "Côte d'Ivoire"
    assert country_of_heading("5. Türkiye (automotive suppliers)") == "Türkiye"
    assert country_of_heading("9. CAMBODIA — Siem Reap hotels") == "Cambodia"
    assert country_of_heading("Flower farm in Naivasha (Kenya)") == "Kenya"
    # A name followed by words is not a separator: 'Peru Ministry' is not a heading about Peru.
    assert country_of_heading("Peru Ministry of Production") is None


def test_a_leading_adjective_names_the_country_when_a_noun_follows():
    assert country_of_heading("6. Bolivian bakery chain cuts waste") == "Bolivia"
    assert country_of_heading("1. Indonesian Business and Export Development Organization (BEDO)") == "Indonesia"
    assert country_of_heading("Bolivian and Peruvian cooperatives") is None
    assert country_of_heading("2. African Operational Excellence Consultancy Service") is None


def test_a_country_mentioned_later_does_not_name_the_heading():
    assert country_of_heading("The third phase of SCORE completed for 272 SMEs funded by the German Government") is None
    assert country_of_heading("Working conditions improved among Egyptian SMEs") is None


def test_region_headings_alone_or_before_a_separator():
    assert region_of_heading("### Africa") == "Africa"
    assert region_of_heading("LATIN AMERICA – stories") == "Latin America"
    assert region_of_heading("African trainers") is None
    assert region_of_heading("South Africa") is None


def test_label_lines_name_the_country_of_a_place():
    assert country_of_label_line("Location: Arequipa, Peru") == "Peru"
    assert country_of_label_line("**Country:** Kenya") == "Kenya"
    assert country_of_label_line("Funded by: the German Government") is None
    assert country_of_label_line("Partners: Peru and Bolivia") is None
    assert country_of_label_line("Date: 1 December 2020") is None
    assert country_of_label_line("The team visited Arequipa, Peru") is None


def test_heading_numbers_and_their_continuation():
    assert heading_number("2. The Ministry of Labor") == (2,)
    assert heading_number("**1.3 Delivery**") == (1, 3)
    assert heading_number("2020 in review") is None
    assert continues_numbering((7,), (8,))
    assert continues_numbering((2, 3), (2, 4))
    assert not continues_numbering((7,), (9,))
    assert not continues_numbering((1,), (1, 2))
    assert not continues_numbering(None, (1,))


def test_fallback_regions_follow_the_score_grouping():
    assert region_of_country("Jordan") == "Middle East"
    assert region_of_country("Kyrgyzstan") == "Europe and Central Asia"
    assert region_of_country("Peru") == "Latin America"
    assert region_of_country("Kenya") == "Africa"
    assert region_of_country("Viet Nam") == "Asia"
