"""Collections in the database, on SQLite and on PostgreSQL: ownership, items kept once and in order,
notes, share links, the 5,000-item limit, the audit log; and what an item quotes and whether its
source changed since, against the small real index."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import inspect, text

from assistant.db.accounts_store import AccountsStore
from assistant.db.audit import Actor, audit_events
from assistant.db.collection_items import (
    SOURCE_CHANGED,
    QuoteNotVerbatim,
    UnknownStory,
    handout_of,
    item_status,
    new_item,
    passage_item,
    selection_item,
)
from assistant.db.collections_store import (
    MAX_ITEMS,
    CollectionError,
    CollectionFull,
    CollectionsStore,
    NewItem,
    UnknownCollection,
    UnknownItem,
)
from assistant.db.engine import Database, head_revision
from assistant.export.handouts import excerpt_from_chunk
from assistant.models import Collection, CollectionItem, Story
from assistant.qa.passages import UnknownPassage

pytest_plugins = ["tests.postgres_server"]

ACTOR = Actor("facilitator@example.org", None)


@pytest.fixture
def setup(database_url: str):
    database = Database(database_url)
    database.migrate()
    accounts = AccountsStore(database)
    owner = accounts.add_user("owner@example.org", "facilitator", "a long password", Actor("test"))
    other = accounts.add_user("other@example.org", "facilitator", "a long password", Actor("test"))
    yield CollectionsStore(database), owner.id, other.id
    database.dispose()


def _chunk(index, words: str):
    return next(c for c in index.chunks if words in c.text)


def _items(index) -> list[NewItem]:
    return [passage_item(_chunk(index, words)) for words in ("25 enterprises", "grievance box", "lead buyer")]


def test_items_are_kept_once_in_order_with_notes_and_audited(setup, small_assistant):
    store, owner, _ = setup
    index = small_assistant.index
    made = store.create(owner, "  Workshop   in Accra ", ACTOR)
    assert made.title == "Workshop in Accra" and made.item_count == 0
    added = store.add_items(owner, made.collection_id, _items(index), ACTOR)
    assert [created for _, created in added] == [True, True, True]
    again, created = store.add_item(owner, made.collection_id, _items(index)[1], ACTOR, note="ignored")
    assert not created and again.item_id == added[1][0].item_id and again.note is None

    first, second, third = (item.item_id for item, _ in added)
    moved = store.move_item(owner, made.collection_id, third, 0, ACTOR)
    assert moved.position == 0
    store.set_note(owner, made.collection_id, second, "  Ask the group: <script>who</script> pays? ", ACTOR)
    kept = store.collection(owner, made.collection_id)
    assert [i.item_id for i in kept.items] == [third, first, second]
    assert [i.position for i in kept.items] == [0, 1, 2]
    assert kept.items[2].note == "Ask the group: <script>who</script> pays?"
    assert kept.items[1].excerpt.text == _chunk(index, "25 enterprises").text.strip()

    store.move_item(owner, made.collection_id, third, 99, ACTOR)  # clamped to the end
    store.remove_item(owner, made.collection_id, first, ACTOR)
    assert [i.item_id for i in store.collection(owner, made.collection_id).items] == [second, third]
    with pytest.raises(UnknownItem):
        store.set_note(owner, made.collection_id, first, "gone", ACTOR)

    actions = [e.action for e in reversed(audit_events(store.database)) if e.action.startswith("collection.")]
    # The second add changed nothing, so it wrote nothing.
    assert actions == ["collection.created", "collection.items_added", "collection.item_moved",
                       "collection.note_set", "collection.item_moved", "collection.item_removed"]


def test_another_owner_sees_nothing_until_shared_and_then_only_reads(setup, small_assistant):
    store, owner, other = setup
    made = store.create(owner, "Mine", ACTOR)
    store.add_items(owner, made.collection_id, _items(small_assistant.index), ACTOR)
    for attempt in (lambda: store.collection(other, made.collection_id),
                    lambda: store.rename(other, made.collection_id, "Theirs", ACTOR),
                    lambda: store.delete(other, made.collection_id, ACTOR),
                    lambda: store.share(other, made.collection_id, ACTOR),
                    lambda: store.add_items(other, made.collection_id, _items(small_assistant.index), ACTOR)):
        with pytest.raises(UnknownCollection):
            attempt()
    assert store.collections_of(other) == []
    token = store.share(owner, made.collection_id, ACTOR)
    assert len(token) >= 40 and store.share(owner, made.collection_id, ACTOR) == token  # one link
    assert [i.heading for i in store.shared(token).items] == [i.heading for i in store.collection(
        owner, made.collection_id).items]
    store.unshare(owner, made.collection_id, ACTOR)
    with pytest.raises(UnknownCollection):
        store.shared(token)
    with pytest.raises(UnknownCollection):
        store.shared("")


def test_rename_duplicate_delete(setup, small_assistant):
    store, owner, _ = setup
    made = store.create(owner, "Costs", ACTOR)
    items = store.add_items(owner, made.collection_id, _items(small_assistant.index), ACTOR, note="shared note")
    store.share(owner, made.collection_id, ACTOR)
    assert store.rename(owner, made.collection_id, "Who pays", ACTOR).title == "Who pays"
    with pytest.raises(CollectionError):
        store.rename(owner, made.collection_id, "   ", ACTOR)
    copy = store.duplicate(owner, made.collection_id, ACTOR)
    assert copy.title == "Who pays (copy)" and copy.item_count == 3 and copy.share_token is None
    copied = store.collection(owner, copy.collection_id)
    assert [i.excerpt for i in copied.items] == [i.excerpt for i, _ in items]
    assert {i.note for i in copied.items} == {"shared note"}
    assert [c.title for c in store.collections_of(owner)] == ["Who pays (copy)", "Who pays"]
    store.delete(owner, made.collection_id, ACTOR)
    with pytest.raises(UnknownCollection):
        store.collection(owner, made.collection_id)
    assert [c.item_count for c in store.collections_of(owner)] == [3]


def test_a_collection_holds_at_most_5000_items(setup, small_assistant):
    store, owner, _ = setup
    base = _items(small_assistant.index)[0]
    many = [NewItem("passage", f"Item {n}", base.excerpt.model_copy(update={"text": f"quote {n}"})) for n in
            range(MAX_ITEMS)]
    made = store.create(owner, "Big", ACTOR)
    start = time.perf_counter()
    store.add_items(owner, made.collection_id, many[:-1], ACTOR)
    with pytest.raises(CollectionFull):
        store.add_items(owner, made.collection_id, many[-2:] + [_items(small_assistant.index)[1]], ACTOR)
    store.add_items(owner, made.collection_id, many[-2:], ACTOR)  # one new, one held already: fits exactly
    with pytest.raises(CollectionFull):
        store.add_item(owner, made.collection_id, _items(small_assistant.index)[1], ACTOR)
    full = store.collection(owner, made.collection_id)
    assert full.item_count == MAX_ITEMS and full.items[-1].heading == f"Item {MAX_ITEMS - 1}"
    moved = store.move_item(owner, made.collection_id, full.items[-1].item_id, 0, ACTOR)
    assert moved.position == 0
    assert store.duplicate(owner, made.collection_id, ACTOR).item_count == MAX_ITEMS
    assert time.perf_counter() - start < 60  # bulk inserts, not one round trip per item


def test_quotes_must_be_verbatim_and_selections_mark_gaps(small_assistant):
    index = small_assistant.index
    chunk = _chunk(index, "lead buyer")
    sentences = index.sentences_of(chunk.chunk_id)
    assert len(sentences) >= 2
    with pytest.raises(QuoteNotVerbatim):
        passage_item(chunk, "A lead buyer financed nothing at all")
    quoted = passage_item(chunk, "A lead buyer financed the whole\n intervention")
    assert quoted.excerpt.text.startswith("A lead buyer financed the whole intervention") and quoted.excerpt.shortened
    assert quoted.heading == "Peru: A lead buyer pays for its suppliers" and quoted.country == "Peru"
    whole = selection_item(index, chunk, [s.position for s in sentences[:2]])
    assert whole.kind == "selection" and not whole.excerpt.shortened
    assert whole.excerpt.text == chunk.text[sentences[0].start:sentences[1].end]
    if len(sentences) >= 3:
        gap = selection_item(index, chunk, [sentences[0].position, sentences[2].position])
        assert "…" in gap.excerpt.text and gap.excerpt.shortened
    with pytest.raises(QuoteNotVerbatim):
        selection_item(index, chunk, [999])
    with pytest.raises(UnknownPassage):
        new_item(index, {}, chunk_id="no-such-chunk")
    with pytest.raises(UnknownStory):
        new_item(index, {}, story_id="no-such-story")


def test_an_item_whose_source_changed_shows_the_difference(small_assistant):
    index = small_assistant.index
    chunk = _chunk(index, "lead buyer")
    stored = passage_item(chunk)
    fresh = _stored(stored)
    assert not item_status(fresh, index).changed
    # As if the item had been added from an earlier build, when the passage read differently.
    earlier = chunk.model_copy(update={"text": chunk.text.replace("30 of its small suppliers", "20 suppliers")})
    old = _stored(NewItem("passage", stored.heading, excerpt_from_chunk(earlier), "Peru"))
    status = item_status(old, index)
    assert status.changed and status.message == SOURCE_CHANGED and status.current_chunk_id == chunk.chunk_id
    assert any(line.startswith("- ") and "20 suppliers" in line for line in status.diff)
    assert any(line.startswith("+ ") and "30 of its small suppliers" in line for line in status.diff)
    # The passage is gone from the build, but its section still stands: compared with its passage.
    gone = _stored(NewItem("passage", stored.heading, old.excerpt.model_copy(update={"chunk_id": "gone"}), "Peru"))
    assert item_status(gone, index).current_chunk_id == chunk.chunk_id
    moved = gone.excerpt.model_copy(update={"heading_path": ["No such section"]})
    lost = item_status(_stored(NewItem("passage", "x", moved)), index)
    assert lost.changed and lost.message.startswith(SOURCE_CHANGED) and lost.current_chunk_id is None


def test_a_story_item_exports_the_whole_story_while_the_library_holds_it(small_assistant):
    index = small_assistant.index
    chunk = _chunk(index, "lead buyer")
    story = Story(story_id="peru-story", doc_id=chunk.doc_id, country="Peru", region=chunk.region,
                  headline="A lead buyer pays for its suppliers", heading_path=chunk.heading_path,
                  chunk_ids=[chunk.chunk_id])
    item = new_item(index, {"peru-story": story}, story_id="peru-story")
    assert item.kind == "story" and item.story_id == "peru-story" and item.heading.startswith("Peru: ")
    collection = _collection([_stored(item, note="Start here")])
    handout = handout_of(collection, index, {"peru-story": story})
    assert handout.title == "Demo" and handout.items[0].note == "Start here"
    assert "Sawdust sales" in " ".join(e.text for e in handout.items[0].excerpts)


def _stored(item: NewItem, note: str | None = None) -> CollectionItem:
    return CollectionItem(item_id=1, position=0, kind=item.kind, story_id=item.story_id, heading=item.heading,
                          country=item.country, excerpt=item.excerpt, note=note, added_at=datetime.now(UTC))


def _collection(items: list[CollectionItem]) -> Collection:
    moment = datetime.now(UTC)
    return Collection(collection_id=1, owner_id=1, title="Demo", created_at=moment, updated_at=moment,
                      item_count=len(items), items=items)


def test_0006_goes_down_and_up_keeping_everything_before_it(setup, small_assistant):
    store, owner, _ = setup
    made = store.create(owner, "Kept until 0006 goes", ACTOR)
    store.add_items(owner, made.collection_id, _items(small_assistant.index), ACTOR)
    engine = store.database.engine
    with engine.connect() as connection:
        users = connection.execute(text("SELECT count(*) FROM users")).scalar_one()
        audit = connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        assert connection.execute(text("SELECT count(*) FROM collection_items")).scalar_one() == 3

    store.database.downgrade("0005")
    assert store.database.current_revision() == "0005"
    assert not {"collections", "collection_items"} & set(inspect(engine).get_table_names())
    store.database.migrate()
    assert store.database.current_revision() == head_revision()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM users")).scalar_one() == users
        assert connection.execute(text("SELECT count(*) FROM audit_log")).scalar_one() == audit
    assert store.collections_of(owner) == []
    again = store.create(owner, "After", ACTOR)
    assert store.add_items(owner, again.collection_id, _items(small_assistant.index), ACTOR)[0][1]
