"""``score-assistant db``: bring the app database to the latest migration, once, before the workers start."""

from __future__ import annotations

import typer
from sqlalchemy.exc import SQLAlchemyError

from assistant.cli.common import fail
from assistant.config import Settings

db_app = typer.Typer(
    help="The app database: `db upgrade` applies pending migrations; `db current` shows the revision.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _database():
    from assistant.db.engine import Database

    return Database.from_settings(Settings())


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply every migration not applied yet (safe to run again: nothing changes when current)."""
    database = _database()
    try:
        before = database.current_revision()
        database.migrate()
        after = database.current_revision()
    except SQLAlchemyError as exc:
        fail(f"cannot migrate the database: {exc.__class__.__name__}: {exc}", 1)
    finally:
        database.dispose()
    typer.echo(f"Database at revision {after}" + (f" (was {before})." if before != after else " (already current)."))


@db_app.command("current")
def current() -> None:
    """The migration revision the database is at (none when it was never migrated)."""
    database = _database()
    try:
        typer.echo(database.current_revision() or "none")
    except SQLAlchemyError as exc:
        fail(f"cannot read the database: {exc.__class__.__name__}: {exc}", 1)
    finally:
        database.dispose()
