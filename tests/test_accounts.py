"""Accounts, on SQLite and PostgreSQL: emails and passwords, the store, sign-in throttling, API tokens,
the append-only audit log, migration 0004 up and down beside stored chat turns, and ``users`` CLI."""

from __future__ import annotations

import ast
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from assistant.cli import app as cli
from assistant.config import Settings
from assistant.db.accounts_store import (
    LOGIN_REFUSED,
    AccountError,
    AccountsStore,
    DuplicateEmail,
    LoginRefused,
    UnknownAccount,
    normalise_email,
    token_hash,
)
from assistant.db.audit import Actor, audit_events
from assistant.db.chat_store import ChatStore
from assistant.db.engine import Database, head_revision
from assistant.db.passwords import WeakPassword, hash_password, needs_rehash, rehash, verify_password
from assistant.db.tables.accounts import AuditRow, UserRow
from assistant.models import Answer

pytest_plugins = ["tests.postgres_server"]

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
PASSWORD = "correct horse battery"
ADMIN = Actor("test admin")
ACCOUNT_TABLES = {"users", "api_tokens", "audit_log"}
CHAT_TABLES = ("conversations", "questions", "answers", "citations", "feedback")


@pytest.fixture
def accounts(database_url: str):
    database = Database(database_url)
    database.migrate()
    yield AccountsStore(database)
    database.dispose()


def _actions(store: AccountsStore) -> list[str]:
    return [event.action for event in reversed(audit_events(store.database))]


@pytest.mark.parametrize("typed", [" Ann@Example.ORG ", "ann@example.org", "ANN@EXAMPLE.ORG\n"])
def test_emails_are_stripped_and_lower_cased(typed):
    assert normalise_email(typed) == "ann@example.org"


@pytest.mark.parametrize("typed", ["", "   ", "ann", "ann@", "@example.org", "a b@example.org", "ann@@example.org",
                                   "ann@example.org, bob@example.org", '"ann"@example.org', "a" * 250 + "@x.org",
                                   "ann\x00@example.org", "ann@exa\tmple.org"])
def test_what_is_not_one_email_address_is_refused(typed):
    with pytest.raises(AccountError):
        normalise_email(typed)


def test_passwords_are_salted_argon2id_hashes():
    first, second = hash_password(PASSWORD), hash_password(PASSWORD)
    assert first.startswith("$argon2id$") and first != second and PASSWORD not in first
    assert verify_password(first, PASSWORD) and verify_password(second, PASSWORD)
    assert not verify_password(first, PASSWORD + "!") and not verify_password("not a hash", PASSWORD)
    assert not needs_rehash(first) and rehash(first, PASSWORD) == first
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("short")  # older rules
    assert needs_rehash(weak) and verify_password(rehash(weak, "short"), "short")
    for weak, message in (("", "empty"), ("   ", "empty"), ("short", "at least 8"), ("x" * 1025, "too long")):
        with pytest.raises(WeakPassword, match=message):
            hash_password(weak)


def test_accounts_are_added_listed_changed_and_audited(accounts):
    added = accounts.add_user(" Mod@Example.org", "moderator", PASSWORD, ADMIN)
    assert (added.email, added.role, added.disabled) == ("mod@example.org", "moderator", False)
    with pytest.raises(DuplicateEmail, match="exists already"):
        accounts.add_user("MOD@example.org", "evaluator", PASSWORD, ADMIN)
    with pytest.raises(AccountError, match="the roles are admin, moderator, facilitator, evaluator"):
        accounts.add_user("x@example.org", "trainer", PASSWORD, ADMIN)
    with pytest.raises(WeakPassword):
        accounts.add_user("x@example.org", "admin", "", ADMIN)
    with accounts.database.read() as session:
        stored = session.query(UserRow).one()
    assert stored.password_hash.startswith("$argon2id$") and PASSWORD not in stored.password_hash

    assert accounts.set_role("mod@example.org", "admin", ADMIN).role == "admin"
    accounts.set_role("mod@example.org", "admin", ADMIN)  # no change: nothing audited
    assert accounts.disable("mod@example.org", ADMIN).disabled
    assert accounts.active_user(added.id) is None
    assert accounts.enable("mod@example.org", ADMIN).disabled is False
    assert accounts.active_user(added.id).role == "admin"
    with pytest.raises(UnknownAccount, match="no account with email 'nobody@example.org'"):
        accounts.set_role("nobody@example.org", "admin", ADMIN)
    assert [a.email for a in accounts.accounts()] == ["mod@example.org"]

    events = list(reversed(audit_events(accounts.database)))
    assert [e.action for e in events] == ["user.added", "user.role_changed", "user.disabled", "user.enabled"]
    assert all(e.actor == "test admin" and e.object_type == "user" and e.object_id == str(added.id) for e in events)
    assert events[0].before is None and events[0].after == {"email": "mod@example.org", "role": "moderator",
                                                            "disabled": False}
    assert (events[1].before["role"], events[1].after["role"]) == ("moderator", "admin")
    assert "password" not in str([e.model_dump() for e in events])


def test_five_failures_lock_the_account_for_15_minutes(accounts, caplog):
    user = accounts.add_user("ann@example.org", "moderator", PASSWORD, ADMIN)
    refusals = []
    for email, password in (("ann@example.org", "wrong password"), ("bob@example.org", PASSWORD),
                            ("ann\x00@example.org", PASSWORD)):  # not looked up: PostgreSQL refuses a NUL
        with pytest.raises(LoginRefused) as refused:
            accounts.sign_in(email, password)
        refusals.append(str(refused.value))
    assert refusals == [LOGIN_REFUSED] * 3  # a wrong email reads exactly as a wrong password
    for _ in range(3):
        with pytest.raises(LoginRefused):
            accounts.sign_in("ann@example.org", "wrong password")
    assert accounts.sign_in("Ann@example.org", PASSWORD, client="10.0.0.1").id == user.id  # 4 failures: not yet
    assert accounts.account("ann@example.org").locked_until is None

    with caplog.at_level(logging.WARNING, logger="assistant.audit"):
        for _ in range(5):
            with pytest.raises(LoginRefused):
                accounts.sign_in("ann@example.org", "wrong password", client="10.0.0.2")
    locked_until = accounts.account("ann@example.org").locked_until
    assert timedelta(minutes=14) < locked_until - datetime.now(UTC) <= timedelta(minutes=15)
    assert any("login.lockout" in record.getMessage() for record in caplog.records)
    with pytest.raises(LoginRefused, match="locked for 15 minutes"):  # the right password, while locked
        accounts.sign_in("ann@example.org", PASSWORD)

    with accounts.database.unit_of_work() as session:  # 15 minutes later
        session.get(UserRow, user.id).locked_until = datetime.now(UTC) - timedelta(seconds=1)
    assert accounts.sign_in("ann@example.org", PASSWORD).email == "ann@example.org"

    events = list(reversed(audit_events(accounts.database)))
    failures = [e.after["reason"] for e in events if e.action == "login.failure"]
    assert failures == ["wrong password", "unknown email", "unknown email"] + ["wrong password"] * 8 + ["locked"]
    lockout = next(e for e in events if e.action == "login.lockout")
    assert lockout.object_id == str(user.id) and lockout.client == "10.0.0.2" and lockout.actor == "anonymous"
    success = next(e for e in events if e.action == "login.success")
    assert (success.actor, success.actor_id, success.client) == ("ann@example.org", user.id, "10.0.0.1")


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(accounts):
    user = accounts.add_user("ann@example.org", "evaluator", PASSWORD, ADMIN)
    old = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    with accounts.database.unit_of_work() as session:
        session.get(UserRow, user.id).password_hash = old
    assert accounts.sign_in("ann@example.org", PASSWORD).id == user.id
    with accounts.database.read() as session:
        renewed = session.get(UserRow, user.id).password_hash
    assert renewed != old and not needs_rehash(renewed) and verify_password(renewed, PASSWORD)


def test_a_disabled_account_cannot_sign_in(accounts):
    accounts.add_user("ann@example.org", "evaluator", PASSWORD, ADMIN)
    accounts.disable("ann@example.org", ADMIN)
    with pytest.raises(LoginRefused, match="Wrong email or password"):
        accounts.sign_in("ann@example.org", PASSWORD)
    assert audit_events(accounts.database, "login.failure")[0].after["reason"] == "disabled"


def test_tokens_are_stored_hashed_and_revocable(accounts):
    ann = accounts.sign_in(accounts.add_user("ann@example.org", "evaluator", PASSWORD, ADMIN).email, PASSWORD)
    bob = accounts.sign_in(accounts.add_user("bob@example.org", "moderator", PASSWORD, ADMIN).email, PASSWORD)
    first, second, bobs = accounts.issue_token(ann), accounts.issue_token(ann), accounts.issue_token(bob)
    assert len({first, second, bobs}) == 3 and len(first) >= 40
    with accounts.database.engine.connect() as connection:
        stored = set(connection.execute(text("SELECT token_hash FROM api_tokens")).scalars())
    assert stored == {token_hash(t) for t in (first, second, bobs)} and first not in stored
    assert accounts.user_for_token(first) == ann and accounts.user_for_token("forged") is None

    assert accounts.revoke_token(first, Actor.of(ann)) and not accounts.revoke_token(first, Actor.of(ann))
    assert accounts.user_for_token(first) is None and accounts.user_for_token(second) == ann
    assert accounts.revoke_tokens("ANN@example.org", ADMIN) == 1
    assert accounts.user_for_token(second) is None and accounts.user_for_token(bobs) == bob
    accounts.disable("bob@example.org", ADMIN)
    assert accounts.user_for_token(bobs) is None  # a disabled account's tokens stop working at once
    assert [e.action for e in audit_events(accounts.database) if e.action.startswith("token.")].count(
        "token.revoked") == 2


def test_the_database_refuses_to_change_or_delete_audit_entries(accounts):
    accounts.add_user("ann@example.org", "admin", PASSWORD, ADMIN)
    for statement in ("UPDATE audit_log SET action = 'nothing happened'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), accounts.database.engine.begin() as connection:
            connection.execute(text(statement))
    with pytest.raises(DBAPIError, match="append-only"), accounts.database.unit_of_work() as session:
        session.query(AuditRow).one().actor = "someone else"
    with pytest.raises(DBAPIError, match="append-only"), accounts.database.unit_of_work() as session:
        session.delete(session.query(AuditRow).one())
    assert [(e.action, e.actor) for e in audit_events(accounts.database)] == [("user.added", "test admin")]


def _writes_audit_rows(node: ast.AST) -> bool:
    """An ``update(AuditRow)``/``delete(AuditRow)`` call, or SQL text that updates or deletes audit_log."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in ("update", "delete"):
        return any("AuditRow" in ast.unparse(arg) or "audit_log" in ast.unparse(arg) for arg in node.args)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        sql = " ".join(node.value.lower().split())
        return any(verb in sql for verb in ("update audit_log", "delete from audit_log", "truncate audit_log"))
    return False


def _audit_writes(source: str) -> list[int]:
    return [node.lineno for node in ast.walk(ast.parse(source)) if _writes_audit_rows(node)]


def test_no_app_code_updates_or_deletes_audit_entries():
    offenders = [
        f"{path.relative_to(PACKAGE)}:{line}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "0004_accounts.py"  # the triggers that refuse such writes
        for line in _audit_writes(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
    # The scan sees what it looks for.
    assert _audit_writes("session.execute(update(AuditRow).values(action='x'))") == [1]
    assert _audit_writes("session.execute(sa.delete(AuditRow.__table__))") == [1]
    assert _audit_writes("connection.exec_driver_sql('DELETE  FROM audit_log WHERE id = 1')") == [1]


def _counts(store: ChatStore) -> dict[str, int]:
    with store.database.engine.connect() as connection:
        return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() for table in CHAT_TABLES}


def test_0004_goes_down_and_up_keeping_every_chat_turn(database_url):
    chat = ChatStore.open(Settings(database={"url": database_url}))
    accounts = AccountsStore(chat.database)
    try:
        answer = Answer(question="Who paid for the training?", text="Enterprises did.", abstained=False)
        turn = chat.record_turn(None, {"country": "Peru"}, None, answer, 1.0)
        chat.record_turn(turn.conversation_id, {}, answer.question, answer, 2.0)
        chat.add_feedback(turn.answer_id, "down", "thin")
        accounts.add_user("ann@example.org", "moderator", PASSWORD, ADMIN)
        before = _counts(chat)
        assert chat.database.current_revision() == head_revision() and before["questions"] == 2

        chat.database.downgrade("0003")
        assert chat.database.current_revision() == "0003"
        assert not ACCOUNT_TABLES & set(inspect(chat.database.engine).get_table_names())
        assert _counts(chat) == before

        chat.database.migrate()
        assert chat.database.current_revision() == head_revision()
        assert ACCOUNT_TABLES <= set(inspect(chat.database.engine).get_table_names())
        assert _counts(chat) == before
        assert [t.answer for t in chat.conversation(turn.conversation_id).turns] == [answer, answer]
        assert accounts.accounts() == []  # going down dropped the accounts; up, the tables work again
        accounts.add_user("ann@example.org", "moderator", PASSWORD, ADMIN)
        with pytest.raises(DBAPIError, match="append-only"), chat.database.engine.begin() as connection:
            connection.execute(text("DELETE FROM audit_log"))  # the triggers are back too
    finally:
        chat.database.dispose()


@pytest.fixture
def run(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("SCORE_DATABASE_URL", url)

    def invoke(*args: str, stdin: str | None = None):
        return CliRunner().invoke(cli, ["users", *args], input=stdin)

    invoke.url = url  # type: ignore[attr-defined]
    return invoke


def test_users_cli_adds_lists_changes_and_revokes(run):
    added = run("add", " Ann@Example.org", "--role", "moderator", "--password-stdin", stdin=PASSWORD + "\n")
    assert added.exit_code == 0 and "Added ann@example.org (moderator)." in added.stdout
    assert "ann@example.org  moderator    active" in run("list").stdout
    assert run("set-role", "ann@example.org", "evaluator").stdout.strip() == "ann@example.org is now evaluator."
    store = AccountsStore(Database(run.url))
    try:
        user = store.sign_in("ann@example.org", PASSWORD)  # the password read from stdin, newline excluded
        token = store.issue_token(user)
        revoked = run("revoke-tokens", "ann@example.org")
        assert revoked.exit_code == 0 and "Revoked 1 token of ann@example.org." in revoked.stdout
        assert store.user_for_token(token) is None
        assert run("disable", "ann@example.org").exit_code == 0 and "disabled" in run("list").stdout
        assert run("enable", "ann@example.org").stdout == "Enabled ann@example.org.\n"
        # Without --password-stdin the password is asked for, twice, and not echoed.
        asked = run("add", "bob@example.org", "--role", "admin", stdin=f"{PASSWORD}\n{PASSWORD}\n")
        assert asked.exit_code == 0 and PASSWORD not in asked.output
        assert store.sign_in("bob@example.org", PASSWORD).role == "admin"
        actors = {e.actor for e in audit_events(store.database) if e.action.startswith(("user.", "token.revoked"))}
        assert len(actors) == 1 and actors.pop().startswith("cli")
    finally:
        store.database.dispose()


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (("add", "ann@example.org", "--role", "boss", "--password-stdin"), PASSWORD,
         2, "unknown role 'boss': the roles are admin, moderator, facilitator, evaluator"),
        (("add", "ann@example.org", "--role", "admin", "--password-stdin"), "\n", 2, "the password is empty"),
        (("add", "ann", "--role", "admin", "--password-stdin"), PASSWORD, 2, "not an email address: 'ann'"),
        (("add", "BOB@example.org", "--role", "admin", "--password-stdin"), PASSWORD,
         1, "an account with email 'bob@example.org' exists already"),
        (("set-role", "nobody@example.org", "admin"), None, 1, "no account with email 'nobody@example.org'"),
        (("set-role", "bob@example.org", "trainer"), None,
         2, "unknown role 'trainer': the roles are admin, moderator, facilitator, evaluator"),
        (("disable", "nobody@example.org"), None, 1, "no account with email 'nobody@example.org'"),
        (("revoke-tokens", "Nobody@example.org"), None, 1, "no account with email 'nobody@example.org'"),
    ],
)
def test_users_cli_refuses_bad_input_in_one_line(run, args, stdin, code, message):
    assert run("add", "bob@example.org", "--role", "admin", "--password-stdin", stdin=PASSWORD).exit_code == 0
    result = run(*args, stdin=stdin)
    assert result.exit_code == code, result.output
    assert result.stderr == f"error: {message}\n"
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
