"""Request shapes of the web app: the filter fields (made from ``FILTER_KEYS``), the API bodies, the chat form.

The filter fields are generated from the one list of filter keys, so the JSON body, the query
string of ``/api/search`` and the chat form cannot disagree on what a filter is called. The
question's length limits are documented here (``QUESTION_LIMITS``) but checked by
``check_question`` with the configured limit, so an over-long question gets the same 400 and message
from the API, the chat and the CLI.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from assistant.config import RetrievalSettings
from assistant.search.filters import FILTER_KEYS, QuestionError, check_text

# Database ids are signed 64-bit integers; a larger one is no id, not a server error.
MAX_ID = 2**63 - 1
MAX_COMMENT_CHARS = 2000
# The documented limits of a question: the default of SCORE_MAX_QUESTION_CHARS (the schema is the
# same for every deployment; a question outside them is refused with 400, not 422).
MAX_QUESTION_CHARS: int = RetrievalSettings.model_fields["max_question_chars"].default
QUESTION_LIMITS = {"minLength": 1, "maxLength": MAX_QUESTION_CHARS}


def _valid_text(value: str) -> str:
    try:
        return check_text(value, "the value")
    except QuestionError as exc:
        raise ValueError(str(exc)) from exc


# A string that is valid Unicode text (no lone surrogates).
Text = Annotated[str, AfterValidator(_valid_text)]

_FILTER_HELP = {
    "country": "A country, e.g. Peru",
    "region": "A region, e.g. Asia",
    "module": "A SCORE module, e.g. Workplace Cooperation",
    "topic": "A topic, e.g. financing and cost recovery",
    "document": "A document id (see /api/documents) or its title",
}

FilterFields: type[BaseModel] = create_model(  # type: ignore[call-overload]
    "FilterFields",
    __doc__="Filters of a question; values are listed, with counts, by ``GET /api/facets``.",
    **{key: (Text | None, Field(None, description=_FILTER_HELP[key])) for key in FILTER_KEYS},
)



class FilterSpec(FilterFields):  # type: ignore[misc, valid-type]
    # Unknown keys are passed on so the error names the valid filters instead of ignoring them.
    model_config = ConfigDict(extra="allow")


class FilterQuery(FilterFields):  # type: ignore[misc, valid-type]
    """Only passages with these values (see /api/facets)."""


class AskRequest(BaseModel):
    question: str = Field(
        description=f"The question (1 to {MAX_QUESTION_CHARS} characters, not counting surrounding spaces)",
        examples=["How did trainers get enterprises to pay for the training?"],
        json_schema_extra=QUESTION_LIMITS,
    )
    filters: FilterSpec | None = None
    conversation_id: Text | None = Field(
        None, max_length=64, description="Continue this conversation (follow-ups are read with its earlier questions)"
    )
    k: int | None = Field(None, ge=1, le=50, strict=True, description="Number of passages to retrieve")


class FeedbackRequest(BaseModel):
    answer_id: int = Field(ge=1, le=MAX_ID, strict=True)
    rating: Literal["up", "down"]
    comment: Text | None = Field(None, max_length=MAX_COMMENT_CHARS)


class AskForm(FilterFields):  # type: ignore[misc, valid-type]
    """The chat's question form (empty strings mean "any")."""

    question: Text = ""
    conversation_id: Text = ""

    def filters(self) -> dict[str, str]:
        return {key: getattr(self, key) or "" for key in FILTER_KEYS}
