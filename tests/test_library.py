"""The story library over real indexes: the bundled Annual Update, the test documents of other layouts
and a small document of region stories, with the real model. Expected stories are computed from the
index's own country sections, never listed by hand."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.ingest.build import ingest
from assistant.library.browse import LIBRARY_KEYS, StoryLibrary, UnknownStory, story_values
from assistant.library.stories import build_stories, place_of
from assistant.qa.service import Assistant
from assistant.search.filters import QuestionError
from assistant.search.index import LoadedIndex
from assistant.text.answer_types import states_a_quantity

ROOT = Path(__file__).resolve().parent.parent
EVAL_CORPUS = ROOT / "eval" / "documents" / "corpus"
EVAL_DOCUMENTS = ("catalog.toml", "score-case-studies.md", "workplace-cooperation-manual.md", "osh-field-notes.txt")

# Region stories beside country stories, and two stories of one country under one region.
REGIONAL = """\
# Regional Notes 2031

## Asia

### Regional trainer forum in Bangkok

Trainers from 9 countries met for two days to share how they sell the training to enterprises.

### Nepal - Brick kilns adopt safer loading

Kiln owners in 12 enterprises introduced loading ramps for the workers.

#### Results

Accidents at the kilns fell by 30% within a year.

### Nepal - Tea gardens cut waste

Tea gardens sorted their leaves better and sold 15% more first-grade tea.

## Methods

Trainers visit each enterprise twice.
"""


@pytest.fixture(scope="module")
def bundled_library(bundled_assistant: Assistant) -> StoryLibrary:
    return StoryLibrary(bundled_assistant.index, bundled_assistant.embedder, bundled_assistant.settings)


@pytest.fixture(scope="module")
def layouts_index(tmp_path_factory, embedder) -> LoadedIndex:
    base = tmp_path_factory.mktemp("layouts")
    corpus = base / "corpus"
    corpus.mkdir()
    for name in EVAL_DOCUMENTS:
        shutil.copy(EVAL_CORPUS / name, corpus / name)
    (corpus / "regional-notes.md").write_text(REGIONAL, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=base / "index")
    assert ingest(settings, embedder=embedder).ok
    return Assistant(settings, embedder=embedder).index


def _covered(index: LoadedIndex, stories) -> None:
    """Every chunk about a place is in exactly one story, of that place, and no other chunk is."""
    owner: dict[str, str] = {}
    for story in stories:
        for chunk_id in story.chunk_ids:
            assert chunk_id not in owner, f"{chunk_id} is in two stories"
            owner[chunk_id] = story.story_id
            chunk = index.chunk(chunk_id)
            assert (chunk.country, chunk.region) == (story.country, story.region)
    placed = {c.chunk_id for c in index.chunks if place_of(c) is not None}
    assert set(owner) == placed


def test_every_country_section_of_the_annual_update_has_a_story(bundled_assistant):
    index = bundled_assistant.index
    stories = build_stories(index)
    _covered(index, stories)
    country_sections = {(c.country, c.section_id) for c in index.chunks if c.country}
    by_chunk_section = {index.chunk(cid).section_id: s for s in stories for cid in s.chunk_ids}
    for country, section_id in country_sections:
        assert by_chunk_section[section_id].country == country
    assert {s.country for s in stories} == index.countries
    # One story per country section of the update: its sub-headings belong to it.
    assert len(stories) == len(index.countries)
    ghana = next(s for s in stories if s.country == "Ghana")
    assert "272 SMEs" in ghana.headline and ghana.story_id == index.chunk(ghana.chunk_ids[0]).section_id
    assert (ghana.year, ghana.period, ghana.region) == (2023, "2023-24", "Africa")


def test_sub_headings_stay_in_their_country_story(bundled_assistant):
    index = bundled_assistant.index
    stories = {s.country: s for s in build_stories(index)}
    for country in ("Peru", "Tunisia", "Ethiopia"):
        story = stories[country]
        sections = {index.chunk(c).section_id for c in story.chunk_ids}
        assert len(sections) > 1
        assert story.headline not in (country, "2. The Ministry of Labor")
        ordinals = [index.chunk(c).ordinal for c in story.chunk_ids]
        assert ordinals == sorted(ordinals)


def test_story_modules_topics_and_figures_come_from_its_chunks(bundled_assistant):
    index = bundled_assistant.index
    for story in build_stories(index):
        chunks = [index.chunk(c) for c in story.chunk_ids]
        assert set(story.modules) == {m for c in chunks for m in c.modules}
        assert set(story.topics) == {t for c in chunks for t in c.topics}
        texts = {s.text for c in chunks for s in index.sentences_of(c.chunk_id)}
        assert all(f in texts and states_a_quantity(f) for f in story.figures)
        assert len(set(story.figures)) == len(story.figures)
    figures = [f for s in build_stories(index) for f in s.figures]
    for quantity in ("272 SMEs", "95% cost recovery", "ETB 7,488 annually"):
        assert any(quantity in f for f in figures), quantity


@pytest.mark.parametrize(
    ("sentence", "quantity"),
    [
        ("Over six months, a total of 272 SMEs benefited from the training.", True),
        ("They reached 12,150 individuals (51% women) with 95% cost recovery.", True),
        ("Savings reached ETB 24 per day or ETB 7,488 annually.", True),
        ("The webinar was held in 2023 by the global team.", False),  # a year
        ("The webinar took place on 3 March 2030 online.", False),  # a date
        ("1. Ship maintenance sector workers at the port", False),  # list numbering
        ("SCORE4Climate training was given to the enterprises.", False),  # a digit inside a name
        ("Date:     4/26/2024     Operator: H. Nakhra", False),  # a form
    ],
)
def test_quantities(sentence, quantity):
    assert states_a_quantity(sentence) is quantity


def test_story_ids_are_stable_across_builds(bundled_assistant, tmp_path, embedder):
    """A second build, with another document added, keeps every story id of the first."""
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    (corpus / "regional-notes.md").write_text(REGIONAL, encoding="utf-8")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    assert ingest(settings, embedder=embedder).ok
    second = build_stories(Assistant(settings, embedder=embedder).index)
    first = build_stories(bundled_assistant.index)
    kept = {s.story_id: s.headline for s in second if s.doc_id in {f.doc_id for f in first}}
    assert kept == {s.story_id: s.headline for s in first}
    assert len(second) > len(first)


def test_stories_come_out_of_other_layouts(layouts_index):
    stories = build_stories(layouts_index)
    _covered(layouts_index, stories)
    by_doc: dict[str, list] = {}
    for story in stories:
        by_doc.setdefault(story.doc_id, []).append(story)
    for doc_id, found in by_doc.items():
        countries = {c.country for c in layouts_index.chunks if c.doc_id == doc_id and c.country}
        assert {s.country for s in found if s.country} == countries
        assert len({s.headline for s in found}) == len(found), "two stories of a document share a headline"
    assert "workplace-cooperation-manual" not in by_doc  # a manual's chapters are about no place
    cases = by_doc["score-case-studies"]
    # Each case study is one story with its Challenge / What was done / Results sections.
    subsections = {layouts_index.chunk(c).heading_path[-1] for s in cases for c in s.chunk_ids}
    assert not subsections & {s.headline for s in cases}
    assert all(len({layouts_index.chunk(c).section_id for c in s.chunk_ids}) >= 3 for s in cases)
    located = next(s for s in cases if s.country == "Peru")  # placed by a "Location:" line only
    assert "Knitting" in located.headline


def test_region_stories_and_two_stories_of_one_country(layouts_index):
    stories = [s for s in build_stories(layouts_index) if s.doc_id == "regional-notes"]
    regional = [s for s in stories if s.country is None]
    assert [(s.region, s.headline) for s in regional] == [("Asia", "Regional trainer forum in Bangkok")]
    nepal = [s for s in stories if s.country == "Nepal"]
    assert [s.headline for s in nepal] == ["Nepal - Brick kilns adopt safer loading", "Nepal - Tea gardens cut waste"]
    assert any("30%" in f for f in nepal[0].figures)  # its "Results" sub-heading is part of it


def test_filters_and_counts_agree(bundled_library):
    everything = bundled_library.browse(limit=100)
    assert everything.total == len(bundled_library.stories)
    for key in LIBRARY_KEYS:
        for value, count in everything.facets[key].items():
            page = bundled_library.browse(**{key: value}, limit=100)
            assert page.total == count > 0
            assert all(value in story_values(s, key) for s in page.items)
    africa = bundled_library.browse(region="Africa", limit=100)
    assert sum(africa.facets["country"].values()) == africa.total
    for module, count in africa.facets["module"].items():
        assert bundled_library.browse(region="Africa", module=module).total == count
    # A facet counts the stories each value would leave: the chosen region does not zero the others.
    assert africa.facets["region"] == everything.facets["region"]


def test_filter_spellings_paging_and_sorting(bundled_library):
    module = bundled_library.browse(module="workplace cooperation", limit=100)
    assert module.filters["module"] == "Workplace Cooperation" and module.total > 1
    first, second = bundled_library.browse(limit=2), bundled_library.browse(offset=2, limit=2)
    assert first.total == second.total and not {s.story_id for s in first.items} & {s.story_id for s in second.items}
    countries = [s.country for s in bundled_library.browse(sort="country", limit=100).items]
    assert countries == sorted(countries)


def test_unknown_filters_and_ids_are_refused(bundled_library):
    with pytest.raises(QuestionError, match="unknown country 'Atlantis'. Valid values: .*Peru"):
        bundled_library.browse(country="Atlantis")
    with pytest.raises(QuestionError, match="unknown year '1850'. Valid values: 2023"):
        bundled_library.browse(year="1850")
    with pytest.raises(QuestionError, match="unknown sort"):
        bundled_library.browse(sort="newest")  # type: ignore[arg-type]
    with pytest.raises(QuestionError, match="limit"):
        bundled_library.browse(limit=10_000)
    with pytest.raises(UnknownStory):
        bundled_library.get("0000")


def test_search_by_meaning_and_by_words(bundled_library):
    found = bundled_library.browse(q="a 5S success in a warehouse")
    top = found.items[0]
    assert top.country == "Albania"
    assert any("5S in the warehouse" in bundled_library.index.chunk(c).text for c in top.chunk_ids)
    # Words: only the stories that hold the word (or are close in meaning) match.
    worded = bundled_library.browse(q="warehouse", limit=100)
    assert 0 < worded.total < len(bundled_library.stories) and worded.items[0].country == "Albania"
    assert sum(worded.facets["region"].values()) == worded.total
    assert bundled_library.browse(q="quantum chromodynamics lattice").total == 0
    # Sorting by country keeps the matches, in country order.
    by_country = bundled_library.browse(q="warehouse", sort="country", limit=100)
    assert {s.story_id for s in by_country.items} == {s.story_id for s in worded.items}
    cost = bundled_library.browse(q="how did other countries cover the cost of training", limit=3)
    assert any("cost" in " ".join(s.topics) for s in cost.items)
