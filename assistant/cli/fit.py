"""``score-assistant eval fit``: learn the ranking and evidence weights from labelled sets, tune split only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import fail
from assistant.config import Settings


def fit(
    test_sets: Annotated[list[Path], typer.Argument(help="JSON Lines test sets whose tune split to fit on")],
    split: Annotated[str, typer.Option("--split", help="The split to fit on (holdout is for gating)")] = "tune",
) -> None:
    """Fit the ranking and evidence weights (assistant/fitted/*.json) on the tune split of the sets."""
    from assistant.evaluation.fitting import fit_all
    from assistant.evaluation.testsets import TestSetError, load_test_set, select_split
    from assistant.search.embedding import Embedder
    from assistant.search.index import IndexProblem, load_index

    if split != "tune":
        fail("weights are fitted on the tune split only; the holdout split is for measuring")
    try:
        cases = [case for path in test_sets for case in select_split(load_test_set(path), split)]
    except TestSetError as exc:
        fail(str(exc))
    settings = Settings()
    embedder = Embedder(settings)
    try:
        index = load_index(settings, embedder.dimension)
    except IndexProblem as exc:
        fail(str(exc), 1)
    source = ", ".join(f"{path.name}:{split}" for path in test_sets)
    ranking, evidence = fit_all(settings, embedder, index, cases, source)
    for model in (ranking, evidence):
        weights = ", ".join(f"{name} {weight:+.2f}" for name, weight in zip(model.features, model.coef, strict=True))
        typer.echo(f"{model.name}: {weights}; intercept {model.intercept:+.2f}; {model.thresholds or ''} {model.meta}")
