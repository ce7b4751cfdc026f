"""The ``score-assistant eval`` command group: run a test set, compare two runs, lint a test set.

Thin like the rest of the CLI: parses options, calls ``assistant.evaluation`` and its ``reports``,
prints. ``score-assistant eval SET.jsonl`` still runs a set: a first argument that is not a
subcommand name goes to ``run``. Exit status: 0 done, 1 a quality threshold missed (or lint found
errors, or the index cannot be loaded), 2 bad input (a malformed test set, an unknown option value).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from tqdm import tqdm
from typer.core import TyperGroup

from assistant.cli.common import JsonOpt, RetrieverOpt, check_retriever, fail, load_assistant
from assistant.config import Settings
from assistant.search.index import IndexProblem


class DefaultRunGroup(TyperGroup):
    """A group whose first argument, when it is not one of its subcommands, is handed to ``run``."""

    default_command = "run"

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


eval_app = typer.Typer(
    cls=DefaultRunGroup,
    help="Answer-quality evaluation: `eval SET.jsonl` runs a test set; `eval compare A B`; `eval lint SET.jsonl`.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

FailUnderOpt = Annotated[
    str | None,
    typer.Option("--fail-under", help="Floors, e.g. hit@5=0.9,citation_precision=0.85: exit 1 when one is missed"),
]
FailOverOpt = Annotated[
    str | None,
    typer.Option("--fail-over", help="Ceilings, e.g. false_abstention_rate=0.1: exit 1 when one is exceeded"),
]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="Index folder to evaluate (default: SCORE_INDEX_DIR)")]


# The assistant the chat would use under these settings (a seam the tests use to share one model).
make_assistant = load_assistant


def _settings(index: Path | None, model: str | None) -> Settings:
    settings = Settings()
    if index is not None:
        settings = settings.model_copy(update={"index_dir": index})
    if model is not None:
        settings = settings.replace(index={"embedding_model": model})
    return settings


def _thresholds(fail_under: str | None, fail_over: str | None, k: int | None) -> tuple[dict, dict]:
    from assistant.evaluation.gates import ThresholdError, parse_thresholds
    from assistant.evaluation.metrics import metric_definitions

    try:
        floors, ceilings = parse_thresholds(fail_under), parse_thresholds(fail_over)
    except ThresholdError as exc:
        fail(str(exc))
    if k is not None:
        known = metric_definitions(k)
        unknown = [name for name in [*floors, *ceilings] if name not in known]
        if unknown:
            fail(f"unknown metric {', '.join(map(repr, unknown))} for k={k}; choose from: {', '.join(known)}")
    return floors, ceilings


def _print_metrics(metrics: dict[str, Any]) -> None:
    from assistant.templating import format_metric

    for name, value in metrics.items():
        typer.echo(f"{name:24s} {format_metric(value, name)}")


@eval_app.command("run")
def run(
    test_set: Annotated[
        Path, typer.Argument(help="JSON Lines test set (eval/README.md), or a conversation set whose rows have turns")
    ],
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Passages per question")] = 5,
    retriever: RetrieverOpt = None,
    split: Annotated[str | None, typer.Option("--split", help="Only this split: tune | holdout")] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Report folder (default eval/reports/<set>-<retriever>-<time>)")
    ] = None,
    index: IndexOpt = None,
    model: Annotated[
        str | None, typer.Option("--model", help="Embedding model (default: SCORE_EMBEDDING_MODEL)")
    ] = None,
    fail_under: FailUnderOpt = None,
    fail_over: FailOverOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a test set through the assistant; write report.json and report.html; print the metrics.

    A set whose rows have ``turns`` (eval/testsets/followups.README.md) is run as conversations: each
    follow-up is read and answered as the chat does, scored like a single question, and the metrics
    gain ``read_as_agreement`` (share of follow-ups rewritten into exactly the labelled ``read_as``).
    """
    from assistant.evaluation import followups
    from assistant.evaluation.metrics import evaluate_test_set
    from assistant.evaluation.reports.build import build_report
    from assistant.evaluation.reports.files import default_report_dir, write_report
    from assistant.evaluation.testsets import TestSetError, load_test_set, question_problems, select_split

    check_retriever(retriever)
    floors, ceilings = _thresholds(fail_under, fail_over, k)
    conversations = followups.is_conversation_set(test_set)
    try:
        load = followups.load_conversation_set if conversations else load_test_set
        cases = select_split(load(test_set), split)
    except TestSetError as exc:
        fail(str(exc))
    settings = _settings(index, model)
    refused = question_problems(cases, settings)
    if refused:
        fail("\n".join(p.describe(test_set) for p in refused))
    assistant = make_assistant(settings)
    effective = retriever or settings.retrieval.retriever
    evaluate = followups.evaluate_conversations if conversations else evaluate_test_set
    summary = evaluate(
        assistant, cases, k, retriever,
        progress=lambda items: tqdm(items, desc=f"Questions ({effective})", file=sys.stderr, disable=as_json),
    )
    out = out or default_report_dir(test_set, effective if split is None else f"{split}-{effective}")
    report = build_report(
        summary, name=out.name, test_set=test_set, manifest=assistant.index.manifest,
        index_path=assistant.index.path, settings=settings, retriever=effective,
        fail_under=floors, fail_over=ceilings, split=split,
    )
    if conversations:
        report = followups.annotate_report(report, cases)
    try:
        html = write_report(report, out)
    except OSError as exc:
        fail(f"cannot write the report to {out}: {exc}", 1)
    if as_json:
        typer.echo(json.dumps(report["metrics"], indent=2))
    else:
        _print_metrics(report["metrics"])
    typer.echo(f"Report: {html} ({summary.counts['passed']}/{summary.counts['questions']} questions pass)", err=True)
    for warning in report["warnings"]:
        typer.echo(f"warning: {warning}", err=True)
    if report["gate"] and report["gate"]["missed"]:
        for miss in report["gate"]["missed"]:
            typer.echo(f"FAILED threshold: {miss}", err=True)
        raise typer.Exit(1)


@eval_app.command("compare")
def compare(
    a: Annotated[Path, typer.Argument(help="Report A (the baseline): its folder or report.json")],
    b: Annotated[Path, typer.Argument(help="Report B: its folder or report.json")],
    out: Annotated[Path | None, typer.Option("--out", help="Also write compare.json and compare.html here")] = None,
    fail_under: FailUnderOpt = None,
    fail_over: FailOverOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Metrics of two runs side by side with deltas (B − A), and the questions that got better or worse."""
    from assistant.evaluation.gates import check_thresholds
    from assistant.evaluation.reports.compare import compare_reports
    from assistant.evaluation.reports.files import ReportError, load_report, write_comparison
    from assistant.templating import format_delta, format_metric

    try:
        report_a, report_b = load_report(a), load_report(b)
    except ReportError as exc:
        fail(str(exc))
    floors, ceilings = _thresholds(fail_under, fail_over, report_b["run"].get("k"))
    comparison = compare_reports(report_a, report_b)
    if out is not None:
        try:
            typer.echo(f"Comparison: {write_comparison(comparison, out)}", err=True)
        except OSError as exc:
            fail(f"cannot write the comparison to {out}: {exc}", 1)
    if as_json:
        typer.echo(json.dumps(comparison, ensure_ascii=False, indent=2))
    else:
        typer.echo(f"A: {comparison['a']['name']}\nB: {comparison['b']['name']}")
        for row in comparison["runs"]:
            if not row["same"]:
                typer.echo(f"  differs — {row['field']}: {row['a']} → {row['b']}")
        if not comparison["same_test_set"]:
            typer.echo("  (different test sets: only questions with the same id are compared)")
        typer.echo(f"\n{'metric':24s} {'A':>10s} {'B':>10s} {'B − A':>10s}")
        for m in comparison["metrics"]:
            delta = "" if m["delta"] is None else format_delta(m["delta"], m["name"])
            mark = {True: " better", False: " worse", None: ""}[m["improved"]]
            typer.echo(
                f"{m['name']:24s} {format_metric(m['a'], m['name']):>10s} {format_metric(m['b'], m['name']):>10s} "
                f"{delta:>10s}{mark}"
            )
        for title, rows in (("Better in B", comparison["better"]), ("Worse in B", comparison["worse"])):
            typer.echo(f"\n{title} ({len(rows)}):")
            for row in rows:
                typer.echo(f"  {row['id']}  {row['change']}  — {row['question']}")
    missed = check_thresholds(report_b["metrics"], floors, "under") + check_thresholds(
        report_b["metrics"], ceilings, "over"
    )
    for miss in missed:
        typer.echo(f"FAILED threshold (B): {miss}", err=True)
    if missed:
        raise typer.Exit(1)


@eval_app.command("lint")
def lint(
    test_set: Annotated[Path, typer.Argument(help="JSON Lines test set to check")],
    index: IndexOpt = None,
    no_corpus: Annotated[
        bool, typer.Option("--no-corpus", help="Check the file only, not its strings against the indexed corpus")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Check a test set and list every problem in it; exit 1 when any is an error.

    Checks the JSON of each line, keys, types, duplicate ids, and that every must_contain string and
    expected section exists in the indexed corpus.
    """
    from assistant.evaluation.testsets import lint_test_set
    from assistant.search.index import load_index

    settings = _settings(index, None)
    chunks = None
    if not no_corpus:
        try:
            chunks = load_index(settings).chunks
        except IndexProblem as exc:
            fail(f"cannot check the test set against the corpus: {exc} (or use --no-corpus)", 1)
    problems = lint_test_set(test_set, chunks, settings)
    errors = sum(p.severity == "error" for p in problems)
    if as_json:
        rows = [{"line": p.line, "severity": p.severity, "message": p.message} for p in problems]
        typer.echo(json.dumps({"path": str(test_set), "problems": rows}, ensure_ascii=False, indent=2))
    else:
        for problem in problems:
            typer.echo(problem.describe(test_set))
        checked = "file only" if chunks is None else f"file and {len(chunks)} indexed passages"
        typer.echo(f"{test_set}: {errors} error(s), {len(problems) - errors} warning(s) ({checked})", err=True)
    if errors:
        raise typer.Exit(1)
