"""Shared fixtures: the real model loaded once, a small real index, and the bundled corpus index.

Tests never read the developer's ``.env`` or ``SCORE_*`` variables: both are switched off here,
before any settings object is made, and a test that wants a setting passes it explicitly.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.config import SETTINGS_GROUPS, Settings
from assistant.ingest.build import ingest
from assistant.qa.service import Assistant
from assistant.search.embedding import Embedder
from tests.builders import write_small_corpus

ROOT = Path(__file__).resolve().parent.parent

# SCORE_REQUIRE_POSTGRES and SCORE_REQUIRE_OFFICE are not settings: they tell the tests that PostgreSQL
# and LibreOffice must be there (CI), so those tests fail rather than skip.
_KEPT = ("SCORE_REQUIRE_POSTGRES", "SCORE_REQUIRE_OFFICE")
for _name in [name for name in os.environ if name.upper().startswith("SCORE_") and name not in _KEPT]:
    del os.environ[_name]
for _group in SETTINGS_GROUPS:
    _group.model_config["env_file"] = None


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder(Settings())


@pytest.fixture(scope="session")
def small_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    base = tmp_path_factory.mktemp("small")
    settings = Settings(corpus_dir=write_small_corpus(base / "corpus"), index_dir=base / "index")
    result = ingest(settings, embedder=embedder)
    assert result.ok, result.failures
    return settings


@pytest.fixture(scope="session")
def small_assistant(small_settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(small_settings, embedder=embedder)


@pytest.fixture(scope="session")
def bundled_settings(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Settings:
    base = tmp_path_factory.mktemp("bundled")
    shutil.copytree(ROOT / "corpus", base / "corpus")
    settings = Settings(corpus_dir=base / "corpus", index_dir=base / "index")
    result = ingest(settings, embedder=embedder)
    assert result.ok, result.failures
    return settings


@pytest.fixture(scope="session")
def bundled_assistant(bundled_settings: Settings, embedder: Embedder) -> Assistant:
    return Assistant(bundled_settings, embedder=embedder)


def fresh_settings(tmp_path: Path) -> Settings:
    """Settings over an empty corpus and index folder inside tmp_path."""
    (tmp_path / "corpus").mkdir(exist_ok=True)
    return Settings(corpus_dir=tmp_path / "corpus", index_dir=tmp_path / "index")
