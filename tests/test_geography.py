from assistant.text.geography import countries_in_text, country_of_heading, region_of_country, regions_in_text


def test_country_names_adjectives_and_possessives_are_recognised():
    text = "How much do Tunisian partners charge? Kyrgyz MSMEs, Mauritius's project, SCORE Vietnam, Peruvian"
    assert countries_in_text(text) == ["Tunisia", "Kyrgyzstan", "Mauritius", "Vietnam", "Peru"]


def test_exact_names_win_over_derived_forms():
    assert countries_in_text("Nigerian and Niger") == ["Nigeria", "Niger"]


def test_south_africa_is_a_country_not_the_region():
    assert countries_in_text("projects in South Africa") == ["South Africa"]
    assert regions_in_text("projects in South Africa") == []
    assert regions_in_text("and in Asia? or Latin America") == ["Asia", "Latin America"]


def test_headings_name_countries_only_when_they_are_a_country():
    assert country_of_heading("#### Egypt") == "Egypt"
    assert country_of_heading("► Peru") == "Peru"
    assert country_of_heading("2. The Ministry of Labor") is None
    assert country_of_heading("Message from the Global SCORE Team") is None


def test_fallback_regions_follow_the_score_grouping():
    assert region_of_country("Jordan") == "Middle East"
    assert region_of_country("Kyrgyzstan") == "Europe and Central Asia"
    assert region_of_country("Peru") == "Latin America"
    assert region_of_country("Kenya") == "Africa"
    assert region_of_country("Viet Nam") == "Asia"
