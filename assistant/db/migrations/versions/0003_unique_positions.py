"""One question per position in a conversation: a unique index on ``questions (conversation_id, position)``.

Concurrent turns of one conversation (several threads, workers or machines) could be given the same
position; with this index the database refuses the second, and the store writes it again at the
next position. Positions a database already holds twice are renumbered first, in the order the
questions were stored (position, then id), so the upgrade succeeds and no turn is dropped.

A unique *index*, not a table constraint: on SQLite a constraint needs Alembic's batch mode, which
copies and drops the questions table, and with foreign keys on, dropping it would cascade-delete
every answer, citation and feedback (see 0002). ``CREATE UNIQUE INDEX`` enforces the same rule on
SQLite and PostgreSQL without touching the rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

INDEX = "uq_questions_conversation_position"


def _renumber_positions() -> None:
    """Positions 1, 2, … per conversation in stored order; only rows whose position changes are written."""
    questions = sa.table("questions", sa.column("id", sa.Integer), sa.column("conversation_id", sa.String),
                         sa.column("position", sa.Integer))
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(questions.c.id, questions.c.conversation_id, questions.c.position)
        .order_by(questions.c.conversation_id, questions.c.position, questions.c.id)
    ).all()
    conversation, expected, moved = None, 0, []
    for row in rows:
        expected = expected + 1 if row.conversation_id == conversation else 1
        conversation = row.conversation_id
        if row.position != expected:
            moved.append({"question_id": row.id, "new_position": expected})
    if moved:
        bind.execute(
            questions.update().where(questions.c.id == sa.bindparam("question_id"))
            .values(position=sa.bindparam("new_position")),
            moved,
        )


def upgrade() -> None:
    _renumber_positions()
    op.create_index(INDEX, "questions", ["conversation_id", "position"], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name="questions")
