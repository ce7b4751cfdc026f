"""The curated answers' lifecycle over the live index: what the API and the CLI call.

Owns what needs both the database and the index: quotes are grounded (``grounding``) before the
store sees them, a country is one the index knows, and an answer is published only when every
passage it quotes is unchanged in the live build (after a source changed, a moderator saves the
quotes again from the passage as it is now, then publishes). Everything else is the store's
(``assistant.db.curation_store``): versions, phrasings, second review, the audit log.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from assistant.curation.grounding import QuoteInput, ground_quotes, is_current
from assistant.db.audit import Actor
from assistant.db.curation_records import CuratedRecord, CurationConflict, CurationError
from assistant.db.curation_store import Changes, CurationStore
from assistant.search.filters import validate_filters
from assistant.search.index import LoadedIndex


class CurationService:
    """Curated answers of one store, grounded in one index build."""

    def __init__(self, store: CurationStore, index: LoadedIndex) -> None:
        self.store = store
        self.index = index

    def country(self, country: str | None) -> str | None:
        """The index's spelling of a country, None for none; CurationError for one it has no passage about."""
        if country is None or not country.strip():
            return None
        known = {c.casefold(): c for c in self.index.countries}
        found = known.get(country.strip().casefold())
        if found is None:
            listed = ", ".join(sorted(known.values()))
            raise CurationError(f"unknown country {country.strip()!r}: the countries are {listed}")
        return found

    def create(
        self, actor: Actor, question: str, quotes: Sequence[QuoteInput], phrasings: Sequence[str] = (),
        note: str | None = None, country: str | None = None, region: str | None = None,
        filters: dict[str, str] | None = None, status: str = "draft", review_by: date | None = None,
        from_item: int | None = None,
    ) -> CuratedRecord:
        grounded = ground_quotes(self.index, quotes)
        region = validate_filters(self.index, region=region).region  # the index's spelling; QuestionError if unknown
        active = validate_filters(self.index, **(filters or {})).active()
        return self.store.create(actor, question, grounded, phrasings, note, self.country(country), region,
                                 active or None, status, review_by, from_item)

    def update(self, actor: Actor, curated_id: int, changes: Changes, quotes: Sequence[QuoteInput] | None = None,
               country: str | None = None, country_given: bool = False) -> CuratedRecord:
        """A PATCH; ``quotes`` (grounded here) replace the answer's quotes when given."""
        fields = {}
        if quotes is not None:
            fields["quotes"] = ground_quotes(self.index, quotes)
        if country_given:
            fields["country"] = self.country(country)
        return self.store.update(actor, curated_id, Changes(**{**changes.__dict__, **fields}))

    def publish(self, actor: Actor, curated_id: int) -> CuratedRecord:
        record = self.store.get(curated_id)
        for n, quote in enumerate(record.quotes, start=1):
            if not is_current(self.index, quote.chunk_id, quote.passage_sha256):
                raise CurationConflict(
                    f"quote {n} of curated answer {curated_id} cites passage {quote.chunk_id}, which changed or was "
                    "removed since it was quoted: save the answer again with quotes from the passage as it is now")
        return self.store.publish(actor, curated_id)

    def retire(self, actor: Actor, curated_id: int) -> CuratedRecord:
        return self.store.retire(actor, curated_id)
