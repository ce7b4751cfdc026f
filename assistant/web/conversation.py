"""A chat turn: reading a question in its conversation, asking the assistant, and storing the turn.

Owns the one path every chat question takes (HTML chat and JSON API alike): validate filters, read
the question in its conversation, ask, time, store. It renders nothing and knows nothing of HTTP;
how a follow-up is read is ``assistant.qa.followups``.

Follow-up rule: a short or elliptic question ("and in Asia?", "what about Peru?", "how did they pay
for it?") is read after the conversation's latest *standalone* question. When it names a place,
module, group or sector to swap in, it is asked as the rewritten standalone question ("How did
SCORE trainers in Africa market the training?"), stored as the turn's ``read_as``; otherwise it is
asked with that earlier question as context. Either way the turn's ``context`` is the earlier
question it was read with, so it never counts as standalone itself. A full question starts a new
topic and is asked on its own, so earlier turns cannot pull its retrieval off course.

A ``Chat`` answers from one index build only; ``assistant.web.live_index`` makes a new one for a
new build. It takes no lock: several requests may ask at once, each in its own thread.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from functools import cached_property

from assistant.db.chat_store import ChatStore
from assistant.db.engine import UnknownRecord
from assistant.library.browse import StoryLibrary
from assistant.models import Passage, Turn
from assistant.qa.followups import Reading, read_in_conversation
from assistant.qa.service import Assistant
from assistant.search.filters import Filters, check_question


def follow_up_context(question: str, earlier: Sequence[tuple[str, str | None]]) -> str | None:
    """The earlier question a follow-up is read with: the latest one asked on its own (no context)."""
    reading = read_in_conversation(question, earlier)
    return None if reading is None else reading.earlier


def _given(filters: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """The filters that have a value (forms send empty strings for "any")."""
    return {key: value for key, value in (filters or {}).items() if value is not None and str(value).strip()}


class UnknownConversation(LookupError):
    """A conversation id that is not in the database."""


class Chat:
    """Asks questions in conversations, from one index build, and stores every turn."""

    def __init__(self, assistant: Assistant, store: ChatStore) -> None:
        self.assistant = assistant
        self.store = store

    def ask(
        self,
        question: str,
        filters: Mapping[str, str | None] | None = None,
        conversation_id: str | None = None,
        k: int | None = None,
    ) -> Turn:
        """Answer one question of a conversation (a new one when the id is None) and store the turn.

        Raises QuestionError for an empty or over-long question or an unknown filter, and
        UnknownConversation for an id not in the database; nothing is stored then.
        """
        start = time.perf_counter()
        text = check_question(question, self.assistant.settings)
        valid = self.assistant.filters(**_given(filters))
        earlier: list[tuple[str, str | None]] = []
        if conversation_id is not None:
            if not self.store.has_conversation(conversation_id):
                raise UnknownConversation(f"no conversation with id '{conversation_id}'")
            earlier = self.store.questions(conversation_id)
        reading = self._reading(text, earlier)
        if reading is None:
            answer = self.assistant.ask(text, valid, k)
        else:
            answer = self.assistant.ask(reading.question, valid, k, context=reading.context)
            answer = answer.model_copy(update={"question": text})  # the turn keeps what was typed
        latency_ms = (time.perf_counter() - start) * 1000  # what the trainer waited for the answer
        context, read_as = (None, None) if reading is None else (reading.earlier, reading.read_as)
        try:
            return self.store.record_turn(
                conversation_id, valid.active(), context, answer, latency_ms, read_as=read_as
            )
        except UnknownRecord as exc:  # deleted while the question was answered
            raise UnknownConversation(str(exc)) from exc

    def _reading(self, text: str, earlier: Sequence[tuple[str, str | None]]) -> Reading | None:
        """How a question is read in its conversation; a rewrite too long to ask falls back to context."""
        reading = read_in_conversation(text, earlier)
        if reading is not None and reading.read_as is not None:
            if len(reading.read_as) > self.assistant.settings.retrieval.max_question_chars:
                return Reading(reading.follow_up, reading.earlier)
        return reading

    def search(
        self, query: str, filters: Mapping[str, str | None] | None = None, k: int | None = None
    ) -> tuple[Filters, list[Passage]]:
        """The validated filters and the ranked passages for a query (QuestionError on bad input)."""
        valid = self.assistant.filters(**_given(filters))
        return valid, self.assistant.search(query, valid, k)

    @cached_property
    def facets(self) -> dict[str, dict[str, int]]:
        """Filter values with counts; computed once, as this Chat's index build never changes."""
        return self.assistant.facets()

    @cached_property
    def library(self) -> StoryLibrary:
        """The stories of this Chat's index build, browsed and searched; built once, like the facets."""
        return StoryLibrary(self.assistant.index, self.assistant.embedder, self.assistant.settings)
