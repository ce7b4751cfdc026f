"""Curated answers: ``curated_answers`` with their ``curated_versions``, ``curated_phrasings``,
``suggested_phrasings``, ``source_changes`` and the ``moderation_items`` of the review queue; and
three columns of ``answers``: ``origin`` (``extracted`` by default), ``curated`` and ``more`` (JSON).

The new columns are added with plain ``ALTER TABLE … ADD/DROP COLUMN`` (SQLite 3.35 or later), not
Alembic's batch mode, for the reason 0002 gives: batch mode copies and drops the answers table, and
with foreign keys on, dropping it would cascade-delete every citation and feedback row. Every answer
already stored reads as ``origin = 'extracted'`` through the server default. Going down drops the
new tables (the curated answers with them) and the three columns; the chat's rows stay.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TZ = sa.DateTime(timezone=True)


def _check(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")", name=name)


def _user(name: str) -> sa.Column:
    return sa.Column(name, sa.Integer, sa.ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


def _curated(nullable: bool = False) -> sa.Column:
    return sa.Column(
        "curated_id", sa.Integer, sa.ForeignKey("curated_answers.id", ondelete="CASCADE"), nullable=nullable
    )


def upgrade() -> None:
    op.create_table(
        "curated_answers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("country", sa.String(100), nullable=True),
        sa.Column("region", sa.String(100), nullable=True),
        sa.Column("filters", sa.JSON, nullable=False),
        sa.Column("review_by", sa.Date, nullable=False),
        _user("created_by"),
        sa.Column("created_by_name", sa.String(320), nullable=False),
        _user("reviewed_by"),
        sa.Column("reviewed_by_name", sa.String(320), nullable=True),
        sa.Column("reviewed_at", _TZ, nullable=True),
        sa.Column("current_version", sa.Integer, nullable=False),
        sa.Column("published_version", sa.Integer, nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        _check("status", ("draft", "published", "retired", "needs_review"), "ck_curated_answers_status"),
    )
    op.create_index("ix_curated_answers_status", "curated_answers", ["status"])
    op.create_table(
        "curated_versions",
        sa.Column("id", sa.Integer, primary_key=True),
        _curated(),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("quotes", sa.JSON, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        _user("editor_id"),
        sa.Column("editor", sa.String(320), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
    )
    op.create_index("uq_curated_versions_version", "curated_versions", ["curated_id", "version"], unique=True)
    op.create_table(
        "curated_phrasings",
        sa.Column("id", sa.Integer, primary_key=True),
        _curated(),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("normalised", sa.String(2000), nullable=False),
        sa.Column("source", sa.String(24), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        _check("source", ("original", "alternate", "accepted-suggestion"), "ck_curated_phrasings_source"),
    )
    op.create_index("ix_curated_phrasings_curated_id", "curated_phrasings", ["curated_id"])
    op.create_index("ix_curated_phrasings_normalised", "curated_phrasings", ["normalised"])
    op.create_table(
        "suggested_phrasings",
        sa.Column("id", sa.Integer, primary_key=True),
        _curated(),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("normalised", sa.String(2000), nullable=False),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", _TZ, nullable=False),
        _user("decided_by"),
        sa.Column("decided_at", _TZ, nullable=True),
        _check("status", ("pending", "accepted", "rejected"), "ck_suggested_phrasings_status"),
    )
    op.create_index("ix_suggested_phrasings_curated_id", "suggested_phrasings", ["curated_id"])
    op.create_table(
        "source_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        _curated(),
        sa.Column("chunk_id", sa.String(64), nullable=False),
        sa.Column("old_sha256", sa.String(64), nullable=False),
        sa.Column("old_text", sa.Text, nullable=False),
        sa.Column("new_chunk_id", sa.String(64), nullable=True),
        sa.Column("new_text", sa.Text, nullable=True),
        sa.Column("detected_at", _TZ, nullable=False),
    )
    op.create_index(
        "uq_source_changes_passage", "source_changes", ["curated_id", "chunk_id", "old_sha256"], unique=True
    )
    op.create_table(
        "moderation_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("answer_id", sa.Integer, sa.ForeignKey("answers.id", ondelete="CASCADE"), nullable=True),
        _curated(nullable=True),
        sa.Column("question", sa.Text, nullable=True),
        sa.Column("detail", sa.Text, nullable=True),
        sa.Column("country", sa.String(100), nullable=True),
        _user("assigned_to"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("dismiss_reason", sa.Text, nullable=True),
        sa.Column("created_at", _TZ, nullable=False),
        sa.Column("updated_at", _TZ, nullable=False),
        _check(
            "kind",
            ("thumbs_down", "abstained", "low_confidence", "repeated", "due_for_review", "source_changed"),
            "ck_moderation_items_kind",
        ),
        _check("status", ("open", "done", "dismissed"), "ck_moderation_items_status"),
    )
    op.create_index("uq_moderation_items_key", "moderation_items", ["key"], unique=True)
    op.create_index("ix_moderation_items_status", "moderation_items", ["status"])
    op.add_column("answers", sa.Column("origin", sa.String(16), nullable=False, server_default="extracted"))
    op.add_column("answers", sa.Column("curated", sa.JSON, nullable=True))
    op.add_column("answers", sa.Column("more", sa.JSON, nullable=True))


def downgrade() -> None:
    op.drop_column("answers", "more")
    op.drop_column("answers", "curated")
    op.drop_column("answers", "origin")
    for table in ("moderation_items", "source_changes", "suggested_phrasings", "curated_phrasings",
                  "curated_versions", "curated_answers"):
        op.drop_table(table)
