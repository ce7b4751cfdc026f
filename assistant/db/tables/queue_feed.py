"""Tables of the review queue's feed: how far it has read, and the repeated-question clusters.

Changed only through the Alembic migrations (0007). ``queue_feed_cursors`` holds, per stream
(``answers``, ``feedback``), the highest id already fed; its rows are locked by each feed, so two
feeds run one after the other. ``question_clusters`` holds the groups of standalone questions asked
in similar words (anchor terms, first question, how many turns, the last answer, whether a curated
answer answered one of them, whether its "repeated" item was raised). ``clustered_answers`` holds the
answers already counted in a cluster, only while they are inside the feed's rescan window, so an
answer read again there is not counted twice.
"""

from __future__ import annotations

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from assistant.db.tables.base import Base

CURSOR_NAMES = ("answers", "feedback")


class FeedCursorRow(Base):
    __tablename__ = "queue_feed_cursors"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_id: Mapped[int] = mapped_column(Integer)  # the highest id of the stream already fed; 0: none


class QuestionClusterRow(Base):
    __tablename__ = "question_clusters"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # creation order: the greedy rule's order
    anchor: Mapped[str] = mapped_column(Text)  # the first question's stemmed terms, sorted, joined by spaces
    question: Mapped[str] = mapped_column(Text)  # the first question, as asked (or read as)
    turns: Mapped[int] = mapped_column(Integer)
    last_answer_id: Mapped[int] = mapped_column(Integer)
    curated: Mapped[bool] = mapped_column(Boolean)  # one of its turns was answered by a curated answer
    raised: Mapped[bool] = mapped_column(Boolean)  # its "repeated" item was added


class ClusteredAnswerRow(Base):
    __tablename__ = "clustered_answers"

    answer_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    cluster_id: Mapped[int] = mapped_column(ForeignKey("question_clusters.id", ondelete="CASCADE"))
