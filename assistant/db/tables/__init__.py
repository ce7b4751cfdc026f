"""The database tables, one module per audience (``chat`` today), on one declarative ``Base``.

Importing this package registers every table on ``Base.metadata``, which the Alembic environment
compares the migrations against. Accounts, curation, library and audit tables join here with the
features that need them.
"""

from assistant.db.tables import (
    accounts,  # noqa: F401  (registers users, api_tokens and audit_log)
    collections,  # noqa: F401  (facilitators' collections and their items)
    curation,  # noqa: F401  (curated answers, versions, phrasings, queue items)
    queue_feed,  # noqa: F401  (the review queue feed's cursors and question clusters)
)
from assistant.db.tables.base import Base
from assistant.db.tables.chat import AnswerRow, CitationRow, ConversationRow, FeedbackRow, QuestionRow

__all__ = ["AnswerRow", "Base", "CitationRow", "ConversationRow", "FeedbackRow", "QuestionRow"]
