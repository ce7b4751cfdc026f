"""The collections' repository: facilitators' collections, their ordered items, notes and share links.

The web layer and the CLI get domain objects back (``Collection``, ``CollectionItem``), never rows.
A collection belongs to its owner: every call names the owner, and someone else's collection is
``UnknownCollection``, exactly as one that does not exist, so an id tells nothing about others'
collections; only its share token opens it to others, read-only (``shared``). Every change writes
its audit entry in the same unit of work. What an item quotes is decided above (``NewItem``, built by
``assistant.db.collection_items``); here it is stored, deduplicated (the same story, or the same text
of the same passage, is kept once) and ordered. Over ``MAX_ITEMS`` items a collection is full.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from assistant.db.audit import Actor, record
from assistant.db.engine import Database, UnknownRecord
from assistant.db.tables.base import now
from assistant.db.tables.collections import CollectionItemRow, CollectionRow
from assistant.models import Collection, CollectionItem, CollectionItemKind, Excerpt

MAX_ITEMS = 5000
MAX_TITLE_CHARS = 200
MAX_NOTE_CHARS = 4000
_EXCERPT_FIELDS = tuple(Excerpt.model_fields)
T = TypeVar("T")


class CollectionError(ValueError):
    """Collection input that cannot be used (an empty or over-long title or note)."""


class CollectionFull(CollectionError):
    """Adding would take a collection over ``MAX_ITEMS`` items."""


class UnknownCollection(UnknownRecord):
    """No collection of this owner (or no shared collection) with this id or token."""


class UnknownItem(UnknownRecord):
    """No item with this id in the collection."""


@dataclass(frozen=True)
class NewItem:
    """What an item to add quotes and where from (the note is given separately)."""

    kind: CollectionItemKind
    heading: str
    excerpt: Excerpt
    country: str | None = None
    story_id: str | None = None

    @property
    def dedup_key(self) -> str:
        """The same story, or the same text of the same passage, whatever the kind it was added as."""
        what = f"story\0{self.story_id}" if self.story_id else f"chunk\0{self.excerpt.chunk_id}\0{self.excerpt.text}"
        return hashlib.sha256(what.encode("utf-8", "surrogatepass")).hexdigest()


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes for what was written in UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def clean_title(title: str) -> str:
    text = " ".join(title.split())
    if not text:
        raise CollectionError("the title is empty")
    if len(text) > MAX_TITLE_CHARS:
        raise CollectionError(f"the title is over {MAX_TITLE_CHARS} characters")
    return text


def clean_note(note: str | None) -> str | None:
    text = (note or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise CollectionError(f"the note is over {MAX_NOTE_CHARS} characters")
    return text or None


def _item(row: CollectionItemRow, position: int) -> CollectionItem:
    excerpt = Excerpt(**{name: getattr(row, name) for name in _EXCERPT_FIELDS})
    return CollectionItem(item_id=row.id, position=position, kind=row.kind, story_id=row.story_id,  # type: ignore[arg-type]
                          heading=row.heading, country=row.country, excerpt=excerpt, note=row.note,
                          added_at=_utc(row.added_at))


def _collection(row: CollectionRow, items: list[CollectionItem] | None = None, count: int | None = None) -> Collection:
    items = items or []
    return Collection(collection_id=row.id, owner_id=row.owner_id, title=row.title, share_token=row.share_token,
                      created_at=_utc(row.created_at), updated_at=_utc(row.updated_at),
                      item_count=len(items) if count is None else count, items=items)


def _item_values(collection_id: int, item: NewItem, position: int, note: str | None) -> dict[str, Any]:
    return {"collection_id": collection_id, "position": position, "kind": item.kind, "story_id": item.story_id,
            "heading": item.heading, "country": item.country, "dedup_key": item.dedup_key, "note": note,
            "added_at": now(), **item.excerpt.model_dump(include=set(_EXCERPT_FIELDS))}


def _ordered(session: Session, collection_id: int) -> list[CollectionItemRow]:
    query = (select(CollectionItemRow).where(CollectionItemRow.collection_id == collection_id)
             .order_by(CollectionItemRow.position, CollectionItemRow.id))
    return list(session.scalars(query))


def _count(session: Session, collection_id: int) -> int:
    query = select(func.count()).select_from(CollectionItemRow).where(CollectionItemRow.collection_id == collection_id)
    return session.scalar(query) or 0


class CollectionsStore:
    """Collections and their items in one database; thread-safe (one short session per call)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # --- reading --------------------------------------------------------------------------------

    def _owned(self, session: Session, owner_id: int, collection_id: int) -> CollectionRow:
        row = session.get(CollectionRow, collection_id)
        if row is None or row.owner_id != owner_id:
            raise UnknownCollection(f"no collection with id {collection_id}")
        return row

    def collections_of(self, owner_id: int) -> list[Collection]:
        """The owner's collections, the latest changed first, with their item counts (not their items)."""
        counts = (select(CollectionItemRow.collection_id, func.count().label("n"))
                  .group_by(CollectionItemRow.collection_id).subquery())
        query = (select(CollectionRow, func.coalesce(counts.c.n, 0))
                 .outerjoin(counts, counts.c.collection_id == CollectionRow.id)
                 .where(CollectionRow.owner_id == owner_id)
                 .order_by(CollectionRow.updated_at.desc(), CollectionRow.id.desc()))
        with self.database.read() as session:
            return [_collection(row, count=n) for row, n in session.execute(query)]

    def collection(self, owner_id: int, collection_id: int) -> Collection:
        """The owner's collection with its items in order (UnknownCollection for anyone else's)."""
        with self.database.read() as session:
            row = self._owned(session, owner_id, collection_id)
            return _collection(row, [_item(r, i) for i, r in enumerate(_ordered(session, row.id))])

    def any_collection(self, collection_id: int) -> Collection:
        """A collection whoever owns it: for the command line, run by whoever holds the database itself."""
        with self.database.read() as session:
            row = session.get(CollectionRow, collection_id)
            if row is None:
                raise UnknownCollection(f"no collection with id {collection_id}")
            return _collection(row, [_item(r, i) for i, r in enumerate(_ordered(session, row.id))])

    def item(self, owner_id: int, collection_id: int, item_id: int) -> CollectionItem:
        """One item of the owner's collection, with its place."""
        with self.database.read() as session:
            row = self._owned_item(session, owner_id, collection_id, item_id)
            return _item(row, _ordered(session, collection_id).index(row))

    def shared(self, token: str) -> Collection:
        """The collection shared under this token, whoever asks."""
        with self.database.read() as session:
            row = session.scalar(select(CollectionRow).where(CollectionRow.share_token == token)) if token else None
            if row is None:
                raise UnknownCollection("no collection is shared at this address")
            return _collection(row, [_item(r, i) for i, r in enumerate(_ordered(session, row.id))])

    # --- collections ----------------------------------------------------------------------------

    def create(self, owner_id: int, title: str, actor: Actor) -> Collection:
        with self.database.unit_of_work() as session:
            row = CollectionRow(owner_id=owner_id, title=clean_title(title), created_at=now(), updated_at=now())
            session.add(row)
            session.flush()
            record(session, actor, "collection.created", "collection", row.id, after={"title": row.title})
            return _collection(row)

    def rename(self, owner_id: int, collection_id: int, title: str, actor: Actor) -> Collection:
        with self.database.unit_of_work() as session:
            row = self._owned(session, owner_id, collection_id)
            before, row.title, row.updated_at = row.title, clean_title(title), now()
            record(session, actor, "collection.renamed", "collection", row.id, {"title": before}, {"title": row.title})
            return _collection(row, count=_count(session, row.id))

    def delete(self, owner_id: int, collection_id: int, actor: Actor) -> None:
        with self.database.unit_of_work() as session:
            row = self._owned(session, owner_id, collection_id)
            count = _count(session, row.id)
            session.execute(delete(CollectionItemRow).where(CollectionItemRow.collection_id == row.id))
            session.delete(row)
            record(session, actor, "collection.deleted", "collection", collection_id,
                   before={"title": row.title, "items": count})

    def duplicate(self, owner_id: int, collection_id: int, actor: Actor) -> Collection:
        """A copy of the collection (items and notes, not the share link), owned by the same owner."""
        with self.database.unit_of_work() as session:
            source = self._owned(session, owner_id, collection_id)
            title = f"{source.title} (copy)"[:MAX_TITLE_CHARS]
            copy = CollectionRow(owner_id=owner_id, title=title, created_at=now(), updated_at=now())
            session.add(copy)
            session.flush()
            columns = [c.key for c in CollectionItemRow.__table__.columns if c.key not in ("id", "collection_id")]
            rows = [{"collection_id": copy.id, **{c: getattr(r, c) for c in columns}} | {"position": i}
                    for i, r in enumerate(_ordered(session, source.id))]
            if rows:
                session.execute(insert(CollectionItemRow), rows)
            record(session, actor, "collection.duplicated", "collection", copy.id,
                   before={"from": source.id}, after={"title": title, "items": len(rows)})
            return _collection(copy, count=len(rows))

    def share(self, owner_id: int, collection_id: int, actor: Actor) -> str:
        """The collection's share token, made when it has none (sharing twice keeps one link)."""
        with self.database.unit_of_work() as session:
            row = self._owned(session, owner_id, collection_id)
            if row.share_token is None:
                row.share_token, row.updated_at = secrets.token_urlsafe(32), now()
                record(session, actor, "collection.shared", "collection", row.id)
            return row.share_token

    def unshare(self, owner_id: int, collection_id: int, actor: Actor) -> None:
        """Close the share link: the old token opens nothing any more."""
        with self.database.unit_of_work() as session:
            row = self._owned(session, owner_id, collection_id)
            if row.share_token is not None:
                row.share_token, row.updated_at = None, now()
                record(session, actor, "collection.unshared", "collection", row.id)

    # --- items ----------------------------------------------------------------------------------

    def add_items(
        self, owner_id: int, collection_id: int, items: Sequence[NewItem], actor: Actor, note: str | None = None
    ) -> list[tuple[CollectionItem, bool]]:
        """Add items at the end, in order; each comes back with True when it is new, False when the
        collection held it already (kept once, where it was). CollectionFull over MAX_ITEMS items."""
        note = clean_note(note)
        return self._retrying(lambda session: self._add(session, owner_id, collection_id, items, actor, note))

    def add_item(
        self, owner_id: int, collection_id: int, item: NewItem, actor: Actor, note: str | None = None
    ) -> tuple[CollectionItem, bool]:
        return self.add_items(owner_id, collection_id, [item], actor, note)[0]

    def _retrying(self, work: Callable[[Session], T]) -> T:
        """Run ``work`` in a unit of work; once more when a concurrent add stored the same item first."""
        try:
            with self.database.unit_of_work() as session:
                return work(session)
        except IntegrityError:
            with self.database.unit_of_work() as session:
                return work(session)

    def _add(
        self, session: Session, owner_id: int, collection_id: int, items: Sequence[NewItem], actor: Actor,
        note: str | None,
    ) -> list[tuple[CollectionItem, bool]]:
        row = self._owned(session, owner_id, collection_id)
        existing = _ordered(session, row.id)
        held = {r.dedup_key: (r, i) for i, r in enumerate(existing)}
        new: dict[str, NewItem] = {}
        for item in items:
            if item.dedup_key not in held:
                new.setdefault(item.dedup_key, item)
        if len(existing) + len(new) > MAX_ITEMS:
            raise CollectionFull(f"a collection holds at most {MAX_ITEMS} items; this one has {len(existing)}")
        start = (existing[-1].position + 1) if existing else 0
        values = [_item_values(row.id, item, start + i, note) for i, item in enumerate(new.values())]
        if values:
            session.execute(insert(CollectionItemRow), values)
            row.updated_at = now()
            record(session, actor, "collection.items_added", "collection", row.id,
                   after={"items": len(values), "first": values[0]["chunk_id"], "kind": values[0]["kind"]})
        keys = {key: i for i, key in enumerate(new)}
        stored = {r.dedup_key: r for r in session.scalars(
            select(CollectionItemRow).where(CollectionItemRow.collection_id == row.id,
                                            CollectionItemRow.dedup_key.in_(list(keys))))} if keys else {}
        result = []
        for item in items:
            if item.dedup_key in held:
                old, place = held[item.dedup_key]
                result.append((_item(old, place), False))
            else:
                result.append((_item(stored[item.dedup_key], len(existing) + keys[item.dedup_key]), True))
        return result

    def _owned_item(self, session: Session, owner_id: int, collection_id: int, item_id: int) -> CollectionItemRow:
        self._owned(session, owner_id, collection_id)
        item = session.get(CollectionItemRow, item_id)
        if item is None or item.collection_id != collection_id:
            raise UnknownItem(f"no item with id {item_id} in collection {collection_id}")
        return item

    def remove_item(self, owner_id: int, collection_id: int, item_id: int, actor: Actor) -> None:
        with self.database.unit_of_work() as session:
            item = self._owned_item(session, owner_id, collection_id, item_id)
            session.delete(item)
            self._touch(session, collection_id)
            record(session, actor, "collection.item_removed", "collection_item", item_id,
                   before={"collection": collection_id, "chunk_id": item.chunk_id, "note": item.note})

    def set_note(
        self, owner_id: int, collection_id: int, item_id: int, note: str | None, actor: Actor
    ) -> CollectionItem:
        note = clean_note(note)
        with self.database.unit_of_work() as session:
            item = self._owned_item(session, owner_id, collection_id, item_id)
            if item.note != note:
                record(session, actor, "collection.note_set", "collection_item", item_id,
                       {"note": item.note}, {"note": note})
                item.note = note
                self._touch(session, collection_id)
            rows = _ordered(session, collection_id)
            return _item(item, rows.index(item))

    def move_item(
        self, owner_id: int, collection_id: int, item_id: int, position: int, actor: Actor
    ) -> CollectionItem:
        """Put the item at ``position`` (0-based, clamped to the collection), the others keeping their order."""
        with self.database.unit_of_work() as session:
            item = self._owned_item(session, owner_id, collection_id, item_id)
            rows = _ordered(session, collection_id)
            before = rows.index(item)
            rows.remove(item)
            place = max(0, min(position, len(rows)))
            rows.insert(place, item)
            changed = [{"id": r.id, "position": i} for i, r in enumerate(rows) if r.position != i]
            if changed:
                session.execute(update(CollectionItemRow), changed)
            if place != before:
                self._touch(session, collection_id)
                record(session, actor, "collection.item_moved", "collection_item", item_id,
                       {"position": before}, {"position": place})
            session.refresh(item)
            return _item(item, place)

    def _touch(self, session: Session, collection_id: int) -> None:
        session.execute(update(CollectionRow).where(CollectionRow.id == collection_id).values(updated_at=now()))
