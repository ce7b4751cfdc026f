"""``score-assistant eval fit-phrasings`` and ``eval phrasings``: the curated-answer match on the phrasing pairs.

``fit-phrasings`` fits the match weights and thresholds on the tune split and writes
``assistant/fitted/curated_match.json``; ``phrasings`` prints precision, recall and F1 of both splits
under the saved weights (``--json`` for machines). Thin: ``assistant.evaluation.phrasing_fit`` does the work.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from assistant.cli.common import JsonOpt, fail
from assistant.config import Settings

PairsOpt = Annotated[Path, typer.Option("--pairs", help="The labelled phrasing pairs (JSON Lines)")]
DEFAULT_PAIRS = Path("eval/testsets/phrasing-pairs.jsonl")


def _assistant():
    """The assistant over the current index (the documents' own answers simulate the curated quotes)."""
    from assistant.qa.service import Assistant
    from assistant.search.index import IndexProblem

    try:
        return Assistant(Settings())
    except IndexProblem as exc:
        fail(str(exc), 1)


def _print(figures: dict, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(figures, indent=2))
        return
    for split, values in figures.items():
        typer.echo(f"{split:8s} pairs {values['pairs']:4d}  precision {values['precision']:.3f}  "
                   f"recall {values['recall']:.3f}  F1 {values['f1']:.3f}  refused by place guard "
                   f"{values['refused_by_guard']}  false matches {values['false_matches_by_kind']}")


def fit_phrasings(pairs: PairsOpt = DEFAULT_PAIRS, as_json: JsonOpt = False) -> None:
    """Fit the curated-answer match on the tune pairs; write assistant/fitted/curated_match.json."""
    from assistant import fitted
    from assistant.evaluation.phrasing_fit import fit_phrasings as fit

    if not pairs.exists():
        fail(f"no phrasing pairs at {pairs}")
    model, figures = fit(_assistant(), pairs)
    path = fitted.save(model)
    fitted.clear_cache()
    if not as_json:
        weights = ", ".join(f"{name} {weight:+.2f}" for name, weight in zip(model.features, model.coef, strict=True))
        typer.echo(f"{path}: {weights}; intercept {model.intercept:+.2f}; thresholds {model.thresholds}")
    _print(figures, as_json)


def phrasings(pairs: PairsOpt = DEFAULT_PAIRS, as_json: JsonOpt = False) -> None:
    """Precision, recall and F1 of the curated-answer match on both splits, with the saved weights."""
    from assistant.evaluation.phrasing_fit import evaluate_phrasings
    from assistant.fitted import FittedModelMissing
    from assistant.qa.curated_match import load_match_model

    if not pairs.exists():
        fail(f"no phrasing pairs at {pairs}")
    try:
        model = load_match_model()
    except FittedModelMissing as exc:
        fail(f"{exc} (score-assistant eval fit-phrasings)", 1)
    _print(evaluate_phrasings(_assistant(), model, pairs), as_json)
