"""The ``score-assistant`` command line: one Typer app, thin wrappers over the library.

Commands: ``ask``, ``search``, ``info``, ``chat`` (``cli.query``), ``ingest``, ``serve``, ``stories``, and the
``eval``, ``db``, ``users``, ``curation`` and ``export`` groups. Each parses options, calls the library and
prints; no logic lives only here.
"""

from __future__ import annotations

import typer

from assistant.cli.curation import curation_app
from assistant.cli.db import db_app
from assistant.cli.eval import eval_app
from assistant.cli.export import export_app
from assistant.cli.fit import ceilings, fit
from assistant.cli.fit_phrasings import fit_phrasings, phrasings
from assistant.cli.ingest import ingest
from assistant.cli.query import ask, chat, info, search
from assistant.cli.serve import serve
from assistant.cli.stories import stories
from assistant.cli.users import users_app

app = typer.Typer(
    help="SCORE Assistant: cited answers from ILO SCORE publications.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for command in (ingest, ask, search, info, chat, serve, stories):
    app.command()(command)
eval_app.command("fit")(fit)
eval_app.command("ceilings")(ceilings)
eval_app.command("fit-phrasings")(fit_phrasings)
eval_app.command("phrasings")(phrasings)
app.add_typer(eval_app, name="eval")
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(export_app, name="export")
app.add_typer(curation_app, name="curation")

if __name__ == "__main__":  # pragma: no cover
    app()
