"""The review queue's feed state: ``queue_feed_cursors`` (the highest answer and feedback ids fed),
``question_clusters`` (questions asked in similar words, for the "repeated" reason) and
``clustered_answers`` (the answers counted in a cluster while inside the feed's rescan window).

New tables only: nothing existing is touched. The cursors start at 0, so the first feed after the
upgrade reads the whole history once and builds the clusters; items already in the queue are keyed,
so none is added twice. Going down drops the three tables; the next feed of an older version reads
everything again, as it always did.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    cursors = op.create_table(
        "queue_feed_cursors",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("last_id", sa.Integer, nullable=False),
    )
    op.bulk_insert(cursors, [{"name": "answers", "last_id": 0}, {"name": "feedback", "last_id": 0}])
    op.create_table(
        "question_clusters",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("anchor", sa.Text, nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("turns", sa.Integer, nullable=False),
        sa.Column("last_answer_id", sa.Integer, nullable=False),
        sa.Column("curated", sa.Boolean, nullable=False),
        sa.Column("raised", sa.Boolean, nullable=False),
    )
    op.create_table(
        "clustered_answers",
        sa.Column("answer_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("cluster_id", sa.Integer, sa.ForeignKey("question_clusters.id", ondelete="CASCADE"),
                  nullable=False),
    )


def downgrade() -> None:
    op.drop_table("clustered_answers")
    op.drop_table("question_clusters")
    op.drop_table("queue_feed_cursors")
