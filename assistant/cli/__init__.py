"""The ``score-assistant`` command line: one Typer app, thin wrappers over the library.

Commands: ``ask``, ``search``, ``info``, ``chat`` (``cli.query``), ``ingest``, ``serve``, and the
``eval``, ``db`` and ``users`` groups. Each parses options, calls the library and prints; no logic lives only here.
"""

from __future__ import annotations

import typer

from assistant.cli.db import db_app
from assistant.cli.eval import eval_app
from assistant.cli.fit import fit
from assistant.cli.ingest import ingest
from assistant.cli.query import ask, chat, info, search
from assistant.cli.serve import serve
from assistant.cli.users import users_app

app = typer.Typer(
    help="SCORE Assistant: cited answers from ILO SCORE publications.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for command in (ingest, ask, search, info, chat, serve):
    app.command()(command)
eval_app.command("fit")(fit)
app.add_typer(eval_app, name="eval")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")

if __name__ == "__main__":  # pragma: no cover
    app()
