"""``score-assistant users``: add accounts, list them, change a role, disable or enable one, revoke its tokens.

Thin: every command calls ``assistant.db.accounts_store``, which checks the input and writes the
audit log (the actor is the operating-system user at the terminal). Exit status: 0 done; 2 bad input
(an invalid email, an unknown role — the message lists the roles —, an empty or short password); 1
an email that is taken already or that no account has, or a database that cannot be used. Never a
traceback. The database is migrated first, as the web app would at start-up.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from assistant.cli.common import JsonOpt, fail
from assistant.config import Settings
from assistant.db.accounts_store import (
    AccountError,
    AccountsStore,
    DuplicateEmail,
    UnknownAccount,
    check_role,
    normalise_email,
)
from assistant.db.audit import Actor
from assistant.db.engine import Database
from assistant.db.passwords import WeakPassword
from assistant.models import ACCOUNT_ROLES, Account

users_app = typer.Typer(
    help="Accounts of moderators, facilitators, evaluators and admins (trainers need none).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
EmailArg = Annotated[str, typer.Argument(help="The account's email")]
ROLE_HELP = " | ".join(ACCOUNT_ROLES)


@contextmanager
def _accounts() -> Iterator[AccountsStore]:
    """The accounts store; its errors become a one-line message and an exit status."""
    database = None
    try:
        database = Database.from_settings(Settings())
        database.migrate()
        yield AccountsStore(database)
    except (DuplicateEmail, UnknownAccount) as exc:
        fail(str(exc), 1)
    except (AccountError, WeakPassword) as exc:
        fail(str(exc), 2)
    except SQLAlchemyError as exc:
        fail(f"cannot use the database: {exc.__class__.__name__}: {exc}", 1)
    finally:
        if database is not None:
            database.dispose()


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        # One line: the newline that ends it is not part of the password, any other character is.
        return sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


def _status(account: Account) -> str:
    if account.disabled:
        return "disabled"
    if account.locked_until is not None and account.locked_until > datetime.now(UTC):
        return f"locked until {account.locked_until:%Y-%m-%d %H:%M} UTC"
    return "active"


def _change(change: Callable[[AccountsStore, Actor], Account], done: str) -> None:
    """Make a change as the person at the terminal and say what was done (``done`` may name ``{account}``)."""
    with _accounts() as store:
        account = change(store, Actor.command_line())
        typer.echo(done.format(account=account))


@users_app.command("add")
def add(
    email: EmailArg,
    role: Annotated[str, typer.Option("--role", help=ROLE_HELP)],
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin")] = False,
) -> None:
    """Add an account (asks for the password unless --password-stdin)."""

    def add_user(store: AccountsStore, me: Actor) -> Account:
        normalise_email(email)  # bad input is refused before a password is asked for
        check_role(role)
        return store.add_user(email, role, _read_password(password_stdin), me)

    _change(add_user, "Added {account.email} ({account.role}).")


@users_app.command("list")
def list_users(as_json: JsonOpt = False) -> None:
    """Every account: email, role, status, created."""
    with _accounts() as store:
        accounts = store.accounts()
    if as_json:
        typer.echo(json.dumps([a.model_dump(mode="json") | {"status": _status(a)} for a in accounts], indent=2))
        return
    if not accounts:
        typer.echo("No accounts yet: score-assistant users add EMAIL --role ROLE")
    width = max((len(a.email or "") for a in accounts), default=0)
    for account in accounts:
        typer.echo(f"{account.email:<{width}}  {account.role:<11}  {_status(account):<8}  "
                   f"created {account.created_at:%Y-%m-%d}")


@users_app.command("set-role")
def set_role(email: EmailArg, role: Annotated[str, typer.Argument(help=ROLE_HELP)]) -> None:
    """Give an account another role."""
    _change(lambda store, me: store.set_role(email, role, me), "{account.email} is now {account.role}.")


@users_app.command("disable")
def disable(email: EmailArg) -> None:
    """Stop an account from signing in; its sessions and tokens stop working at once."""
    _change(lambda store, me: store.disable(email, me), "Disabled {account.email}.")


@users_app.command("enable")
def enable(email: EmailArg) -> None:
    """Let a disabled account sign in again (and lift a lockout)."""
    _change(lambda store, me: store.enable(email, me), "Enabled {account.email}.")


@users_app.command("revoke-tokens")
def revoke_tokens(email: EmailArg) -> None:
    """Revoke every API token of an account."""
    with _accounts() as store:
        count = store.revoke_tokens(email, Actor.command_line())
        typer.echo(f"Revoked {count} token{'s' if count != 1 else ''} of {email.strip().lower()}.")
