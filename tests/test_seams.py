"""The seams the next features build on: settings groups, the answer-source chain, the one citation
shape, per-router security policies, ``db upgrade``, and the topic filter."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.config import RETRIEVERS, Settings
from assistant.db.engine import Database
from assistant.db.tables.chat import CitationRow
from assistant.models import Answer, Citation, CuratedInfo, User
from assistant.qa.presenters import answer_dict, citation_dict
from assistant.qa.service import Assistant
from assistant.search.filters import FILTER_KEYS, QuestionError, facets
from assistant.search.rankers import RANKERS
from assistant.search.retrieval import RetrievalResult
from assistant.web.app import create_app
from assistant.web.deps import UserDep, current_user
from assistant.web.schemas import AskForm, FilterSpec
from assistant.web.security import APP, DOCS, REPORT, secured_router

PERU = "Who financed the suppliers in Peru?"


def test_settings_groups_read_the_documented_flat_variables(monkeypatch):
    monkeypatch.setenv("SCORE_TOP_K", "7")
    monkeypatch.setenv("SCORE_MAX_ANSWER_SENTENCES", "3")
    monkeypatch.setenv("SCORE_CHUNK_SIZE", "700")
    monkeypatch.setenv("SCORE_DATABASE_URL", "sqlite:////tmp/x.sqlite")
    monkeypatch.setenv("SCORE_MAX_BODY_BYTES", "2048")
    settings = Settings()
    assert settings.retrieval.top_k == 7 and settings.answers.max_answer_sentences == 3
    assert settings.index.chunk_size == 700 and settings.web.max_body_bytes == 2048
    assert settings.database.url == "sqlite:////tmp/x.sqlite"
    recorded = settings.answer_settings()
    assert recorded["top_k"] == 7 and recorded["chunk_size"] == 700
    assert not any("url" in key or "database" in key for key in recorded)


def test_replace_changes_one_group_and_keeps_the_rest():
    settings = Settings()
    changed = settings.replace(answers={"max_answer_sentences": 9})
    assert changed.answers.max_answer_sentences == 9 and settings.answers.max_answer_sentences != 9
    assert changed.retrieval == settings.retrieval


def test_retriever_names_are_defined_once():
    assert set(RANKERS) == set(RETRIEVERS)


class _Curated:
    """A curated source as the curation service will hand it in: answers only questions about Peru."""

    name = "curated"

    def __init__(self) -> None:
        self.seen: list[str] = []

    def answer(self, result: RetrievalResult) -> Answer | None:
        self.seen.append(result.question)
        if "Peru" not in result.analysis.indexed_countries:
            return None
        info = CuratedInfo(id=3, version=2, curator="Ana", reviewed_at=datetime(2030, 1, 2, tzinfo=UTC),
                           matched_phrasing="Who paid for the Peru suppliers?", score=0.93)
        return Answer(question=result.question, text="A lead buyer paid.", abstained=False, origin="curated",
                      curated=info, passages=result.passages)


def test_the_answer_chain_tries_a_curated_source_first(small_settings, embedder, small_assistant):
    curated = _Curated()
    chained = Assistant(small_settings, embedder=embedder, index=small_assistant.index, first=[curated])
    answer = chained.ask(PERU)
    assert answer.origin == "curated" and answer.curated.curator == "Ana" and "total" in answer.timings_ms
    shape = answer_dict(answer)
    assert shape["origin"] == "curated" and shape["curated"]["version"] == 2
    fallback = chained.ask("Which enterprises in Myanmar paid for the training?")
    assert fallback.origin == "extracted" and fallback.citations and fallback.curated is None
    assert curated.seen == [PERU, "Which enterprises in Myanmar paid for the training?"]
    assert [s.name for s in small_assistant.chain] == ["extractive"]


def test_a_citation_has_one_shape_everywhere(small_assistant):
    fields = set(Citation.model_fields)
    columns = {c.key for c in inspect(CitationRow).columns} - {"id", "answer_id"}
    assert columns == fields
    answer = small_assistant.ask("How did the bakery in Nairobi save electricity?")
    assert answer.citations
    for citation in answer.citations:
        assert set(citation_dict(citation)) == fields
    manual = [c for c in answer.citations if c.page is not None]
    assert manual and all(citation_dict(c)["page_end"] == c.page_end for c in manual)


def test_filter_fields_come_from_the_filter_keys():
    assert tuple(name for name in FilterSpec.model_fields) == FILTER_KEYS
    assert set(FILTER_KEYS) <= set(AskForm.model_fields)


def test_topics_are_a_filter_and_a_facet(small_assistant):
    topics = facets(small_assistant.index)["topic"]
    assert "financing and cost recovery" in topics
    only = small_assistant.filters(topic="Financing and cost recovery")
    passages = small_assistant.search("training", only, k=5)
    assert passages and all("financing and cost recovery" in p.chunk.topics for p in passages)
    with pytest.raises(QuestionError, match="Valid values: .*financing and cost recovery"):
        small_assistant.filters(topic="astrology")
    result = CliRunner().invoke(cli, ["ask", "x", "--topic", "astrology", "--retriever", "nope"])
    assert result.exit_code == 2 and "unknown retriever 'nope'" in result.stderr


@pytest.fixture
def web(small_settings, small_assistant, tmp_path):
    settings = small_settings.replace(database={"url": f"sqlite:///{tmp_path / 'app.sqlite'}"})
    staff = secured_router(APP.only("moderator"))

    @staff.get("/staff-only")
    def staff_only(user: UserDep) -> dict[str, str]:
        return {"role": user.role}

    app = create_app(settings, small_assistant)
    app.include_router(staff)
    with TestClient(app) as client:
        yield app, client


def test_each_router_declares_its_policy(web):
    _, client = web
    expected = {"/": APP, "/api/facets": APP, "/healthz": APP, "/eval": APP, "/docs": DOCS, "/redoc": DOCS,
                "/no-such-page": APP}
    for path, policy in expected.items():
        assert client.get(path).headers["content-security-policy"] == policy.content_security_policy, path
    assert REPORT.content_security_policy not in {p.content_security_policy for p in expected.values()}


def test_a_policy_admits_only_its_roles(web):
    app, client = web
    assert client.get("/staff-only").status_code == 401  # an anonymous trainer
    app.dependency_overrides[current_user] = lambda: User(id=1, email="f@x.org", role="facilitator")
    assert client.get("/staff-only").status_code == 403
    app.dependency_overrides[current_user] = lambda: User(id=2, email="m@x.org", role="moderator")
    assert client.get("/staff-only").json() == {"role": "moderator"}
    assert client.get("/api/facets").status_code == 200


def test_db_upgrade_migrates_once_before_the_workers(tmp_path, monkeypatch, small_settings, small_assistant):
    url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
    monkeypatch.setenv("SCORE_DATABASE_URL", url)
    assert CliRunner().invoke(cli, ["db", "current"]).stdout.strip() == "none"
    first = CliRunner().invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0 and "was None" in first.stdout
    head = CliRunner().invoke(cli, ["db", "current"]).stdout.strip()
    assert head != "none"
    again = CliRunner().invoke(cli, ["db", "upgrade"])
    assert again.exit_code == 0 and "already current" in again.stdout
    # A worker started without migrating serves on the upgraded database.
    settings = small_settings.replace(database={"url": url})
    with TestClient(create_app(settings, small_assistant, migrate=False)) as client:
        assert client.post("/api/ask", json={"question": PERU}).status_code == 200
    assert Database(url).current_revision() == head
