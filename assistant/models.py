"""Domain objects shared by every step: Document, Line, Section, Chunk, Sentence, Passage, Citation,
Answer, and the records of a conversation (Turn, Feedback) and of who asks (User, Account).

Plain pydantic models, no behaviour beyond small derived properties. Upstream modules create them,
downstream modules read them; nothing here imports another module of the package. ``Citation`` is
the one definition of a citation's fields: the API shape, the database row and the HTML view derive
from it (tests check the row against it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

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
    # May its passages be exported (handouts)? None: when the licence is a known open one (CC BY…).
    reuse: bool | None = None
    attribution: str | None = None
    url: str | None = None
    source_path: str
    file_name: str
    sha256: str
    catalog_sha256: str | None = None  # of its catalog entry, so a changed entry makes the index stale


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


AnswerOrigin = Literal["extracted", "curated"]


class CuratedInfo(BaseModel):
    """Which reviewed answer a curated answer is, who reviewed it and how the question matched it."""

    id: int
    version: int
    curator: str
    reviewed_at: datetime
    matched_phrasing: str
    score: float


class Answer(BaseModel):
    """A grounded answer: markdown text with [n] markers, its citations and the passages seen.

    ``origin`` says which answer source gave it: quotes extracted from the documents now, or a
    moderator's curated answer (then ``curated`` says which one, and who reviewed it when).
    """

    question: str
    text: str
    abstained: bool
    abstain_reason: str | None = None
    origin: AnswerOrigin = "extracted"
    curated: CuratedInfo | None = None
    citations: list[Citation] = Field(default_factory=list)
    passages: list[Passage] = Field(default_factory=list)
    filters: dict[str, str] = Field(default_factory=dict)
    timings_ms: dict[str, float] = Field(default_factory=dict)
    # After a curated answer: the documents' own extracted answer, shown under "More from the documents".
    more: Answer | None = None


class Story(BaseModel):
    """A success story: one country section of a document, derived from the index at every load.

    ``story_id`` is the section's id, so it stays the same across builds while the section keeps its
    heading path. ``figures`` are the story's sentences that state a quantity ("272 SMEs").
    """

    story_id: str
    doc_id: str
    country: str | None
    region: str
    headline: str
    heading_path: list[str]
    modules: list[str] = Field(default_factory=list)
    topics: list[str] = Field(default_factory=list)
    year: int | None = None
    period: str | None = None
    figures: list[str] = Field(default_factory=list)
    chunk_ids: list[str] = Field(default_factory=list)


class Excerpt(BaseModel):
    """A quoted piece of one passage, as a collection, a curated answer or an export keeps it: the
    verbatim text (``shortened`` when cut, marked "…") and where it comes from, with a hash of the
    passage text when it was taken, so a later build that changes the passage can be noticed."""

    chunk_id: str
    doc_id: str
    heading_path: list[str]
    page_start: int | None = None
    page_end: int | None = None
    line_start: int | None = None
    line_end: int | None = None
    text: str
    shortened: bool = False
    passage_sha256: str


class PublishedCurated(BaseModel):
    """A published curated answer as the matcher reads it: the version in service, who reviewed it
    when, where it applies (country, region, filters), the phrasings it answers and its quotes.
    A curated answer waiting for review after a source changed is never one of these."""

    id: int
    version: int
    question: str
    curator: str  # who reviewed (published) this version
    reviewed_at: datetime
    country: str | None = None
    region: str | None = None
    filters: dict[str, str] = Field(default_factory=dict)
    phrasings: list[str] = Field(default_factory=list)  # the question first, then the alternates
    quotes: list[Excerpt] = Field(default_factory=list)
    note: str | None = None  # the moderator's own words, never shown as a quote


class HandoutItem(BaseModel):
    """One example of a handout: its heading ("Country: headline"), its quotes and the facilitator's note."""

    heading: str
    country: str | None = None
    excerpts: list[Excerpt]
    note: str | None = None  # the facilitator's own words, never shown as a quote


class Handout(BaseModel):
    """What an export renders (DOCX, PPTX, Markdown): a title and its examples, in order."""

    title: str
    items: list[HandoutItem]


CollectionItemKind = Literal["story", "passage", "selection"]


class CollectionItem(BaseModel):
    """One example kept in a collection: a story, a passage (or a quote of it) or chosen sentences,
    with what it quotes (``excerpt``, hashed as the passage stood) and the facilitator's note."""

    item_id: int
    position: int  # 0-based place in the collection
    kind: CollectionItemKind
    story_id: str | None = None
    heading: str  # "Country: headline" as it was when added
    country: str | None = None
    excerpt: Excerpt
    note: str | None = None  # the facilitator's own words, never shown as a quote
    added_at: datetime


class Collection(BaseModel):
    """A facilitator's ordered examples; readable by anyone holding ``share_token`` once it is shared."""

    collection_id: int
    owner_id: int
    title: str
    share_token: str | None = None
    created_at: datetime
    updated_at: datetime
    item_count: int = 0
    items: list[CollectionItem] = Field(default_factory=list)


Rating = Literal["up", "down"]
Role = Literal["trainer", "facilitator", "evaluator", "moderator", "admin"]
# The roles an account can hold; trainers stay anonymous and have none.
ACCOUNT_ROLES: tuple[Role, ...] = ("admin", "moderator", "facilitator", "evaluator")


class Feedback(BaseModel):
    """A thumbs up or down on an answer, with an optional comment."""

    feedback_id: int
    answer_id: int
    rating: Rating
    comment: str | None
    created_at: datetime


class Turn(BaseModel):
    """One question of a conversation with its stored answer, as it was shown."""

    conversation_id: str
    position: int
    question_id: int
    question: str
    requested_filters: dict[str, str]
    context: str | None  # the earlier question a follow-up was read with
    read_as: str | None = None  # the standalone question a follow-up was asked as; None: as typed or with context
    answer_id: int
    answer: Answer
    latency_ms: float
    asked_at: datetime
    feedback: list[Feedback] = Field(default_factory=list)


class Conversation(BaseModel):
    conversation_id: str
    created_at: datetime
    turns: list[Turn]


class User(BaseModel):
    """Who is asking. Trainers may be anonymous (no id, no email)."""

    id: int | None = None
    email: str | None = None
    role: Role = "trainer"

    @property
    def anonymous(self) -> bool:
        return self.id is None


class Account(User):
    """A signed-in user's account as an administrator sees it: whether it may sign in, and since when."""

    disabled: bool = False
    locked_until: datetime | None = None  # after too many failed sign-ins
    created_at: datetime


ANONYMOUS_TRAINER = User()
