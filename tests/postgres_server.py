"""A throw-away PostgreSQL server for the tests, and the ``database_url`` fixture that runs a test on
SQLite and on PostgreSQL.

Register it from a test module with ``pytest_plugins = ["tests.postgres_server"]``. The session
fixture ``postgres`` runs ``initdb`` into a temporary folder and starts the server on a free local
port, its unix socket in that folder; each test gets a database of its own; the server is stopped
and the folder removed at the end. ``own_postgres`` is a server for one test, which may stop it.
``initdb`` refuses to run as root, so as root the server runs as the ``postgres`` user. Without the
server binaries the PostgreSQL tests are skipped, unless ``SCORE_REQUIRE_POSTGRES=1`` (CI sets it):
then they fail.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from itertools import count
from pathlib import Path

import psycopg
import pytest

from assistant.db.engine import Database

REQUIRE = "SCORE_REQUIRE_POSTGRES"
SERVER_USER = "postgres"  # the OS user the server runs as when the tests run as root
SUPERUSER = "postgres"  # the database role initdb creates
_BINARIES = ("initdb", "pg_ctl")


def postgres_required() -> bool:
    return os.environ.get(REQUIRE) == "1"


def server_binaries() -> Path | None:
    """The folder of initdb and pg_ctl: on the PATH, or Debian's newest /usr/lib/postgresql/N/bin."""
    initdb = shutil.which("initdb")
    if initdb is not None and all((Path(initdb).parent / name).is_file() for name in _BINARIES):
        return Path(initdb).parent
    debian = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name), reverse=True)
    return next((folder for folder in debian if all((folder / name).is_file() for name in _BINARIES)), None)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in a temporary folder, listening on 127.0.0.1 only, trusting local users."""

    def __init__(self, binaries: Path) -> None:
        self.binaries = binaries
        self.as_root = os.geteuid() == 0
        # Not under pytest's tmp_path: its parents are private to root, and the server may run as postgres.
        self.folder = Path(tempfile.mkdtemp(prefix="score-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self._names = count(1)
        if self.as_root:
            shutil.chown(self.folder, SERVER_USER, SERVER_USER)
        self._run("initdb", "-D", str(self.data), "-U", SUPERUSER, "--auth=trust", "--encoding=UTF8",
                  "--locale=C", "--no-sync")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.binaries / program), *args]
        if self.as_root:
            command = ["runuser", "-u", SERVER_USER, "--", *command]
        done = subprocess.run(command, cwd=self.folder, capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            server_log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stdout}{done.stderr}{server_log}")

    def start(self) -> None:
        # fsync off: a throw-away server; what a test checks is what the server acknowledged, and the
        # server itself is only ever stopped cleanly.
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c full_page_writes=off -c max_connections=200")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def new_database(self) -> str:
        """The URL of a new, empty database on this server."""
        name = f"score_test_{next(self._names)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname=postgres",
                             autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def running_server() -> Iterator[PostgresServer]:
    """A started server, stopped and removed afterwards; skips (or fails, when required) without binaries."""
    binaries = server_binaries()
    if binaries is None:
        message = "no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql"
        if postgres_required():
            pytest.fail(f"{REQUIRE}=1 but {message}", pytrace=False)
        pytest.skip(message)
    server = PostgresServer(binaries)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        except RuntimeError:
            pass  # a test stopped it already
        server.remove()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """The tests' shared PostgreSQL server."""
    yield from running_server()


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server of one test alone, which it may stop and start."""
    yield from running_server()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'nested' / 'app.sqlite'}"
    return request.getfixturevalue("postgres").new_database()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    """That database migrated to the latest schema, disposed of after the test."""
    database = Database(database_url)
    database.migrate()
    yield database
    database.dispose()
