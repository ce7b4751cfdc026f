"""Domain objects shared by every step: Document, Line, Section, Chunk, Sentence, Passage, Citation, Answer.

Plain pydantic models, no behaviour beyond small derived properties. Upstream modules create them,
downstream modules read them; nothing here imports another module of the package.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

GLOBAL_REGION = "global"


class Line(BaseModel):
    """One line of a source document, with where it came from."""

    text: str
    line_no: int  # 1-based line number in the file (text) or within the page (PDF)
    page: int | None = None  # 1-based PDF page, None for text files
    heading_level: int | None = None  # set when the loader recognised the line as a heading


class DocumentMeta(BaseModel):
    """Bibliographic metadata of a document (from corpus/catalog.toml or derived from the file)."""

    doc_id: str
    title: str
    kind: str = "other"  # annual_update | module_manual | case_study | other
    period: str | None = None
    year: int | None = None
    language: str = "en"
    publisher: str | None = None
    license: str | None = None
    attribution: str | None = None
    url: str | None = None
    source_path: str
    file_name: str
    sha256: str


class Document(BaseModel):
    """A loaded document: its metadata and its lines in reading order."""

    meta: DocumentMeta
    lines: list[Line]
    page_count: int | None = None


class Section(BaseModel):
    """A run of lines under one logical heading path, with its place in the world."""

    heading_path: list[str]
    country: str | None = None
    region: str = GLOBAL_REGION
    lines: list[Line] = Field(default_factory=list)


class Chunk(BaseModel):
    """The unit of retrieval: a piece of a section with its provenance and tags."""

    chunk_id: str
    doc_id: str
    ordinal: int  # position in the document
    section_id: str  # same for every chunk of one section (context view)
    text: str
    heading_path: list[str]
    country: str | None = None
    region: str = GLOBAL_REGION
    modules: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    page_start: int | None = None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None


class Sentence(BaseModel):
    """A sentence (or list item) of a chunk, with its character span in the chunk text."""

    chunk_id: str
    position: int
    text: str
    start: int
    end: int


class Passage(BaseModel):
    """A retrieved chunk with its score and rank."""

    chunk: Chunk
    score: float
    rank: int
    dense_score: float | None = None
    lexical_score: float | None = None


class Citation(BaseModel):
    """One numbered source of an answer: where it is and the sentence(s) quoted from it."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    heading_path: list[str]
    country: str | None
    region: str
    page: int | None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    quote: str
    quotes: list[str] = Field(default_factory=list)
    text: str
    attribution: str | None = None


class Answer(BaseModel):
    """A grounded answer: markdown text with [n] markers, its citations and the passages seen."""

    question: str
    text: str
    abstained: bool
    abstain_reason: str | None = None
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    filters: dict[str, str] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)
