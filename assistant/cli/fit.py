"""``score-assistant eval fit``: learn the ranking and evidence weights from labelled sets, tune split only;
``eval ceilings``: how far those weights' features go on a split (``evaluation.ceilings``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from assistant.cli.common import fail
from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.evaluation.testsets import TestCase
    from assistant.search.embedding import Embedder
    from assistant.search.index import LoadedIndex

def _load(test_sets: list[Path], split: str) -> tuple[Settings, Embedder, LoadedIndex, list[TestCase]]:
    """Settings, the model, the index (SCORE_INDEX_DIR) and the questions of ``split`` in the sets."""
    from assistant.evaluation.testsets import TestSetError, load_test_set, select_split
    from assistant.search.embedding import Embedder
    from assistant.search.index import IndexProblem, load_index

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
    return settings, embedder, index, cases


def fit(
    test_sets: Annotated[list[Path], typer.Argument(help="JSON Lines test sets whose tune split to fit on")],
    split: Annotated[str, typer.Option("--split", help="The split to fit on (holdout is for gating)")] = "tune",
) -> None:
    """Fit the ranking and evidence weights (assistant/fitted/*.json) on the tune split of the sets."""
    from assistant.evaluation.fitting import fit_all

    if split != "tune":
        fail("weights are fitted on the tune split only; the holdout split is for measuring")
    settings, embedder, index, cases = _load(test_sets, split)
    source = ", ".join(f"{path.name}:{split}" for path in test_sets)
    ranking, evidence = fit_all(settings, embedder, index, cases, source)
    for model in (ranking, evidence):
        weights = ", ".join(f"{name} {weight:+.2f}" for name, weight in zip(model.features, model.coef, strict=True))
        typer.echo(f"{model.name}: {weights}; intercept {model.intercept:+.2f}; {model.thresholds or ''} {model.meta}")


def ceilings(
    test_sets: Annotated[list[Path], typer.Argument(help="JSON Lines test sets to measure on")],
    split: Annotated[str, typer.Option("--split", help="The split to measure on: tune or holdout")] = "holdout",
) -> None:
    """How far the fitted weights' features go: saved weights beside weights refitted on the split itself."""
    from assistant.evaluation.ceilings import ceilings as measure

    settings, embedder, index, cases = _load(test_sets, split)
    for row in measure(settings, embedder, index, cases):
        typer.echo(f"{row.model:9} {row.measure}: saved weights {row.saved:.3f}, refitted on these questions "
                   f"{row.refitted:.3f} ({row.questions} questions)")
