"""Fitted parameters: the versioned files of weights and thresholds learnt on the ``tune`` split.

Each model is a JSON file beside this module (``ranking.json``, ``evidence.json``): the feature
names in order, the logistic-regression coefficients and intercept, the thresholds chosen on tune,
and how it was fitted (the sets, the split, the date, tune metrics). ``score-assistant eval fit``
writes them (``assistant.evaluation.fitting``); search and qa load them. No weight that decides
which passage ranks first or which sentence is quoted is a constant in the code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

FOLDER = Path(__file__).resolve().parent
FORMAT = 1


class FittedModelMissing(RuntimeError):
    """A fitted parameter file is missing or unreadable; the message says how to make it."""


@dataclass(frozen=True)
class LinearModel:
    """A fitted logistic regression over named features, with the thresholds chosen for it."""

    name: str
    features: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    thresholds: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def logit(self, rows: np.ndarray) -> np.ndarray:
        """The decision value of each row (one column per feature, in ``features`` order)."""
        return rows @ np.asarray(self.coef, dtype=np.float64) + self.intercept

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(rows)))

    def weight(self, feature: str) -> float:
        return self.coef[self.features.index(feature)]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "name": self.name, "features": list(self.features), "coef": list(self.coef),
            "intercept": self.intercept, "thresholds": self.thresholds, "meta": self.meta,
        }


def save(model: LinearModel, folder: Path = FOLDER) -> Path:
    path = folder / f"{model.name}.json"
    path.write_text(json.dumps(model.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def load(name: str, features: tuple[str, ...], folder: Path = FOLDER) -> LinearModel:
    """The fitted model ``name`` (e.g. 'ranking', 'evidence'), which must weigh exactly ``features``."""
    model = _read(name, folder)
    if model.features != features:
        raise FittedModelMissing(f"{name}.json weighs {model.features}, the code computes {features}; fit it again")
    return model


@lru_cache(maxsize=8)
def _read(name: str, folder: Path) -> LinearModel:
    path = folder / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise FittedModelMissing(
            f"cannot read the fitted model {path}: {exc}. Run `score-assistant eval fit` on the tune split."
        ) from exc
    if data.get("format") != FORMAT or len(data["features"]) != len(data["coef"]):
        raise FittedModelMissing(f"{path} is not a fitted model of format {FORMAT}; fit it again")
    if not all(math.isfinite(c) for c in data["coef"]):
        raise FittedModelMissing(f"{path} holds non-finite weights; fit it again")
    return LinearModel(
        name=data["name"],
        features=tuple(data["features"]),
        coef=tuple(float(c) for c in data["coef"]),
        intercept=float(data["intercept"]),
        thresholds=dict(data.get("thresholds", {})),
        meta=dict(data.get("meta", {})),
    )


def clear_cache() -> None:
    """Forget loaded models (after a fit wrote new files)."""
    _read.cache_clear()
