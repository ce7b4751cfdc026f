"""Answer-quality evaluation: test sets and their lint, the support rule, scoring, metrics, gates, reports."""
