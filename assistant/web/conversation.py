"""A chat turn: reading a question in its conversation, asking the assistant, and storing the turn.

Owns when a question counts as a follow-up and which earlier question it is read with, and the one
path every chat question takes (HTML chat and JSON API alike): validate filters, build the context,
ask, time, store. It renders nothing and knows nothing of HTTP.

Follow-up rule: a short or elliptic question ("and in Asia?", "what about Peru?", "how did they pay
for it?") is asked with the conversation's latest *standalone* question as context. Chaining on the
topic rather than on the previous turn keeps "and in Africa?" after "and in Asia?" about the topic,
not about Asia. A full question starts a new topic and is asked on its own, so earlier turns cannot
pull its retrieval off course.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Mapping
from functools import cached_property

from assistant.db.chat_store import ChatStore
from assistant.db.engine import UnknownRecord
from assistant.models import Passage, Turn
from assistant.qa.service import Assistant
from assistant.search.filters import Filters, check_question

# Questions of at most this many words lean on the conversation ("Peru?", "and in Asia?").
SHORT_QUESTION_WORDS = 4
# Questions this short with a pronoun ("What did they do in Peru?") do too.
ANAPHORIC_QUESTION_WORDS = 8

_CONTINUATION = re.compile(
    r"^\s*(and|but|also|or|plus|then|so|same|what about|how about|what else|anything else|any other)\b",
    re.IGNORECASE,
)
_ANAPHOR = re.compile(r"\b(they|them|their|it|its|this|that|these|those|there|such)\b", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def is_follow_up(question: str) -> bool:
    """Whether a question only makes sense with the conversation before it."""
    words = len(_WORD.findall(question))
    if _CONTINUATION.match(question) or words <= SHORT_QUESTION_WORDS:
        return True
    return words <= ANAPHORIC_QUESTION_WORDS and bool(_ANAPHOR.search(question))


def follow_up_context(question: str, earlier: list[tuple[str, str | None]]) -> str | None:
    """The earlier question a follow-up is read with: the latest one asked on its own (no context)."""
    if not earlier or not is_follow_up(question):
        return None
    return next((text for text, context in reversed(earlier) if context is None), earlier[-1][0])


def _given(filters: Mapping[str, str | None] | None) -> dict[str, str | None]:
    """The filters that have a value (forms send empty strings for "any")."""
    return {key: value for key, value in (filters or {}).items() if value is not None and str(value).strip()}


class UnknownConversation(LookupError):
    """A conversation id that is not in the database."""


class Chat:
    """Asks questions in conversations and stores every turn."""

    def __init__(self, assistant: Assistant, store: ChatStore) -> None:
        self.assistant = assistant
        self.store = store
        # One question at a time through the model and the shared tokenisers (the Snowball stemmer
        # is not thread-safe); on a 2-core server parallel encoding would not be faster anyway.
        self.lock = threading.Lock()

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
        context = follow_up_context(text, earlier)
        with self.lock:
            answer = self.assistant.ask(text, valid, k, context=context)
        latency_ms = (time.perf_counter() - start) * 1000  # what the trainer waited, queueing included
        try:
            return self.store.record_turn(conversation_id, valid.active(), context, answer, latency_ms)
        except UnknownRecord as exc:  # deleted while the question was answered
            raise UnknownConversation(str(exc)) from exc

    def search(
        self, query: str, filters: Mapping[str, str | None] | None = None, k: int | None = None
    ) -> tuple[Filters, list[Passage]]:
        """The validated filters and the ranked passages for a query (QuestionError on bad input)."""
        valid = self.assistant.filters(**_given(filters))
        with self.lock:
            return valid, self.assistant.search(query, valid, k)

    @cached_property
    def facets(self) -> dict[str, dict[str, int]]:
        """Filter values with counts; computed once, the index does not change while the app runs."""
        return self.assistant.facets()
