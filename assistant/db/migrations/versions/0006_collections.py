"""Collections: ``collections`` (owner, title, share token) and ``collection_items`` (what each item
quotes, where from, its passage's text hash, the facilitator's note, its place).

New tables only: nothing existing is touched, going up or down. Going down drops both tables, the
collections with them.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("owner_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("share_token", sa.String(64), nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_collections_owner_id", "collections", ["owner_id"])
    op.create_table(
        "collection_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("collection_id", sa.Integer, sa.ForeignKey("collections.id", ondelete="CASCADE"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("story_id", sa.String(64), nullable=True),
        sa.Column("heading", sa.Text, nullable=False),
        sa.Column("country", sa.String(100), nullable=True),
        sa.Column("dedup_key", sa.String(64), nullable=False),
        sa.Column("chunk_id", sa.String(64), nullable=False),
        sa.Column("doc_id", sa.String(200), nullable=False),
        sa.Column("heading_path", sa.JSON, nullable=False),
        sa.Column("page_start", sa.Integer, nullable=True),
        sa.Column("page_end", sa.Integer, nullable=True),
        sa.Column("line_start", sa.Integer, nullable=True),
        sa.Column("line_end", sa.Integer, nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("shortened", sa.Boolean, nullable=False),
        sa.Column("passage_sha256", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('story', 'passage', 'selection')", name="ck_collection_items_kind"),
    )
    op.create_index("uq_collection_items_dedup", "collection_items", ["collection_id", "dedup_key"], unique=True)
    op.create_index("ix_collection_items_order", "collection_items", ["collection_id", "position"])


def downgrade() -> None:
    op.drop_table("collection_items")
    op.drop_table("collections")
