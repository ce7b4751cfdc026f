"""The app database: engine and unit of work (``engine``), tables by audience (``tables``), repositories
(``chat_store``) and Alembic migrations. SQLite by default; any SQLAlchemy URL in ``SCORE_DATABASE_URL``."""
