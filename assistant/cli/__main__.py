"""``python -m assistant.cli``: the same command line as ``score-assistant``."""

from assistant.cli import app

app()
