"""Question in, answer out: the answer-source chain (curated first when handed in, then extractive),
citations, the passage a citation opens, and the one answer shape (``presenters``) that the CLI, web,
evaluation and exports use. Pure: no database, no HTTP."""
