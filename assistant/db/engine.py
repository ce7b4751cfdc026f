"""The database connection: engine, sessions, the unit of work, and migrations (Alembic).

Owns opening the database named by the settings (SQLite file ``var/assistant.sqlite`` by default,
or PostgreSQL through ``postgresql+psycopg://…``), the connection pool (connections are checked
before use, so a restarted database server is reconnected to), SQLite's connection pragmas, running
the Alembic migrations in ``assistant/db/migrations`` (the schema is changed only through them) and
telling whether they are at head, and the unit of work: one transaction in which every change of a
request, and later its audit rows, commit together or not at all. Repositories (``chat_store``…) sit
on top of it; nothing here knows a table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, make_url, select
from sqlalchemy.engine import URL, Engine
from sqlalchemy.orm import Session, sessionmaker

from assistant.config import Settings

DEFAULT_DATABASE = Path("var") / "assistant.sqlite"
MIGRATIONS = "assistant.db:migrations"
# Seconds to wait for a PostgreSQL connection: a readiness probe or a request must fail, not hang,
# when the server is unreachable.
CONNECT_TIMEOUT_S = 5


class UnknownRecord(LookupError):
    """An id that is not in the database (a conversation, an answer…)."""


def database_url(settings: Settings) -> str:
    """The database URL of the settings, or a SQLite file ``var/assistant.sqlite`` under the working folder."""
    return settings.database.url or f"sqlite:///{DEFAULT_DATABASE.resolve()}"


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    # WAL lets the chat read while another request writes; foreign keys make the cascades real.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL syncs at checkpoints, not at every commit: a killed process loses no
    # committed turn (the WAL is in the OS's hands), only a power cut could lose the last ones; it
    # halves the p95 of a stored answer under concurrent writers. PostgreSQL is for stronger needs.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def alembic_config():
    """The Alembic configuration of the project's migrations (no ini file needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return config


@cache
def head_revision() -> str | None:
    """The latest revision of the project's migrations (the scripts do not change while a process runs)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def _engine_options(url: URL) -> dict[str, Any]:
    # Pre-ping: a pooled connection to a database server that restarted is replaced, not handed out.
    # A SQLite file has no server to restart: its ping would only add a query to every checkout.
    options: dict[str, Any] = {"pool_pre_ping": url.get_backend_name() != "sqlite"}
    if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_S}
    return options


class Database:
    """One database: its engine, short sessions for reads, and units of work for writes. Thread-safe."""

    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite:///") and ":memory:" not in url:
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, **_engine_options(make_url(url)))
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def from_settings(cls, settings: Settings, migrate: bool = False) -> Database:
        """The settings' database, brought to the latest migration first when ``migrate``."""
        database = cls(database_url(settings))
        if migrate:
            database.migrate()
        return database

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

    def migrate(self, revision: str = "head") -> None:
        """Apply every Alembic migration not applied yet, up to ``revision`` (``alembic upgrade head``)."""
        from alembic import command

        self._alembic(command.upgrade, revision)

    def downgrade(self, revision: str) -> None:
        """Undo the migrations after ``revision`` (``alembic downgrade``)."""
        from alembic import command

        self._alembic(command.downgrade, revision)

    def _alembic(self, action: Callable[[Any, str], None], revision: str) -> None:
        config = alembic_config()
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            action(config, revision)

    def current_revision(self) -> str | None:
        """The migration revision the database is at (None when it was never migrated)."""
        from alembic.migration import MigrationContext

        with self.engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()

    def ping(self) -> None:
        """Raise if the database cannot be read."""
        with self.engine.connect() as connection:
            connection.execute(select(1))

    def dispose(self) -> None:
        self.engine.dispose()
