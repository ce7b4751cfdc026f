"""The standalone question a follow-up was asked as: ``questions.read_as``.

Plain ``ALTER TABLE … ADD/DROP COLUMN`` (SQLite 3.35 or later), not Alembic's batch mode: batch mode
copies and drops the questions table, and with foreign keys on, dropping it would cascade-delete
every answer, citation and feedback of the stored conversations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("questions", sa.Column("read_as", sa.Text, nullable=True))


def downgrade() -> None:
    op.drop_column("questions", "read_as")
