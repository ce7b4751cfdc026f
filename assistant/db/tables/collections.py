"""Tables of facilitators' collections: the collections (owner, title, share token) and their items.

Changed only through the Alembic migrations (0006). An item keeps what it quotes and where it comes
from (the fields of ``models.Excerpt``, the passage's text hash included) so it survives a re-ingest
that changes or removes its source. ``dedup_key`` (a hash of what the item quotes) is unique within
a collection: the same thing added twice is kept once, whoever adds it at the same time. Items are
ordered by ``position``, then id; a collection's items go with it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db.tables.base import Base, now

KIND_CHECK = "kind IN ('story', 'passage', 'selection')"


class CollectionRow(Base):
    __tablename__ = "collections"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    # A random url-safe id (256 bits): the read-only link is /shared/{share_token}; None: not shared.
    share_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)


class CollectionItemRow(Base):
    __tablename__ = "collection_items"
    __table_args__ = (
        CheckConstraint(KIND_CHECK, name="ck_collection_items_kind"),
        Index("uq_collection_items_dedup", "collection_id", "dedup_key", unique=True),
        Index("ix_collection_items_order", "collection_id", "position"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(ForeignKey("collections.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    story_id: Mapped[str | None] = mapped_column(String(64))
    heading: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(100))
    dedup_key: Mapped[str] = mapped_column(String(64))  # sha256 of kind, story, chunk and quoted text
    chunk_id: Mapped[str] = mapped_column(String(64))
    doc_id: Mapped[str] = mapped_column(String(200))
    heading_path: Mapped[list[str]] = mapped_column(JSON)
    page_start: Mapped[int | None] = mapped_column(Integer)
    page_end: Mapped[int | None] = mapped_column(Integer)
    line_start: Mapped[int | None] = mapped_column(Integer)
    line_end: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    shortened: Mapped[bool] = mapped_column(Boolean, default=False)
    passage_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=now)
