"""The app database: engine and unit of work (``engine``), tables by audience (``tables``), repositories
(``chat_store``, ``accounts_store``), the append-only audit log (``audit``), password hashing
(``passwords``) and Alembic migrations. SQLite by default; PostgreSQL (``postgresql+psycopg://…``) for
several workers or machines; the URL comes from ``SCORE_DATABASE_URL``."""
