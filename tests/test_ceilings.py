"""`eval ceilings`: the fitted models' first picks with their saved weights and refitted on the measured questions."""

from __future__ import annotations

import numpy as np
from typer.testing import CliRunner

from assistant import fitted
from assistant.cli import app
from assistant.evaluation.ceilings import ceilings, first_pick_accuracy
from assistant.evaluation.fitting import Examples
from assistant.evaluation.testsets import load_test_set
from assistant.search.index import load_index
from tests.test_eval_cli import SMALL_SET
from tests.test_evaluation import write_set


def test_first_pick_counts_only_questions_with_a_positive_and_reads_the_best_scored_row():
    examples = Examples(
        rows=np.zeros((7, 1)),
        labels=np.array([0, 1, 0, 1, 0, 0, 0]),
        groups=np.array([0, 0, 1, 1, 1, 2, 2]),  # question 2 has no positive row: not counted
    )
    scores = np.array([0.9, 0.1, 0.2, 0.8, 0.5, 0.7, 0.3])
    assert first_pick_accuracy(examples, scores) == (0.5, 2)
    assert first_pick_accuracy(examples, -scores) == (0.5, 2)
    assert first_pick_accuracy(examples, np.array([0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0])) == (1.0, 2)


def test_ceilings_measure_both_models_on_the_small_index_and_save_nothing(tmp_path, small_settings, embedder):
    path = write_set(tmp_path / "small.jsonl", [{**row, "split": "holdout"} for row in SMALL_SET])
    saved = {name: (fitted.FOLDER / f"{name}.json").read_bytes() for name in ("ranking", "evidence")}
    index = load_index(small_settings, embedder.dimension)

    rows = {row.model: row for row in ceilings(small_settings, embedder, index, load_test_set(path))}

    assert set(rows) == {"ranking", "evidence"}
    # Both answerable questions have a supporting chunk and a sentence holding their string on this corpus.
    assert rows["ranking"].questions == 2
    assert rows["evidence"].questions == 2
    for row in rows.values():
        assert 0.0 <= row.saved <= 1.0 and 0.0 <= row.refitted <= 1.0
    # A refit on two questions whose answers it sees picks the labelled row first.
    assert rows["evidence"].refitted == 1.0
    assert {name: (fitted.FOLDER / f"{name}.json").read_bytes() for name in saved} == saved


def test_ceilings_command_refuses_a_split_the_set_does_not_have(tmp_path, small_settings):
    path = write_set(tmp_path / "small.jsonl", [{**row, "split": "tune"} for row in SMALL_SET])
    result = CliRunner().invoke(app, ["eval", "ceilings", str(path), "--split", "holdout"],
                                env={"SCORE_INDEX_DIR": str(small_settings.index_dir)})
    assert result.exit_code == 2
    assert "no question of this set is in the 'holdout' split" in result.output
