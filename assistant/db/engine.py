"""The database connection: engine, sessions, the unit of work, and migrations (Alembic).

Owns opening the database named by the settings (SQLite file ``var/assistant.sqlite`` by default),
SQLite's connection pragmas, running the Alembic migrations in ``assistant/db/migrations`` (the
schema is changed only through them), and the unit of work: one transaction in which every change
of a request, and later its audit rows, commit together or not at all. Repositories
(``chat_store``…) sit on top of it; nothing here knows a table.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.config import Settings

DEFAULT_DATABASE = Path("var") / "assistant.sqlite"
MIGRATIONS = "assistant.db:migrations"


class UnknownRecord(LookupError):
    """An id that is not in the database (a conversation, an answer…)."""


def database_url(settings: Settings) -> str:
    """The database URL of the settings, or a SQLite file ``var/assistant.sqlite`` under the working folder."""
    return settings.database.url or f"sqlite:///{DEFAULT_DATABASE.resolve()}"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    # WAL lets the chat read while another request writes; foreign keys make the cascades real.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def alembic_config():
    """The Alembic configuration of the project's migrations (no ini file needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


class Database:
    """One database: its engine, short sessions for reads, and units of work for writes. Thread-safe."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(database_url(settings))

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; nothing it does is committed."""
        with self.sessions() as session:
            yield session

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A session in one transaction: committed when the block ends, rolled back if it raises."""
        with self.sessions.begin() as session:
            yield session

    def migrate(self) -> None:
        """Apply every Alembic migration not applied yet (``alembic upgrade head``)."""
        from alembic import command

        config = alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def current_revision(self) -> str | None:
        from alembic.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def ping(self) -> None:
        """Raise if the database cannot be read."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    def dispose(self) -> None:
        self.engine.dispose()
