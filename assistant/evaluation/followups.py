"""Conversation test sets: two-turn conversations scored on the follow-up, as the chat answers it.

Owns the conversation row format (``eval/testsets/followups.README.md``: ``turns`` instead of
``question``, plus ``read_as`` and ``replaces``), reading such a set with every bad line reported,
``ConversationCase`` (a ``TestCase`` for the second turn that also holds the first question), the
runner that answers the second turn the way the chat does (``qa.followups``, then ``Assistant.ask``),
and ``read_as_agreement``. Scoring and metrics are the single-question ones (``scoring``,
``metrics``); it neither prints nor writes files.

``read_as_agreement`` is the share of conversations whose follow-up the assistant rewrote into
exactly the labelled ``read_as`` (compared case- and space-insensitively); a follow-up asked with
context instead of rewritten counts as a disagreement. It is added to the run's metrics (and to the
report's definitions) but is not one of ``metric_definitions``, so it cannot be gated on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.evaluation.metrics import EvalSummary, summarise
from assistant.evaluation.scoring import CaseResult, run_cases
from assistant.evaluation.testsets import SetProblem, TestCase, parse_row, parse_rows, refuse_errors
from assistant.models import Answer
from assistant.qa.followups import Reading, read_in_conversation

if TYPE_CHECKING:
    from assistant.qa.service import Assistant

CONVERSATION_KEYS = ("turns", "read_as", "replaces")
REPLACES = ("place", "sector", "module", "group", "topic-same-place")
READ_AS_AGREEMENT = "read_as_agreement"
READ_AS_DEFINITION = (
    "Share of conversations whose follow-up was rewritten into exactly the labelled read_as "
    "(case- and space-insensitive); a follow-up asked with context instead counts as a disagreement."
)


@dataclass
class ConversationCase(TestCase):
    """The second turn of a two-turn conversation as a test case; ``question`` is the follow-up as typed."""

    __test__ = False  # not a pytest test class, whatever its name

    turns: list[str] = field(default_factory=list)  # [first question, follow-up]
    read_as: str = ""  # the labelled standalone question the follow-up means
    replaces: str = ""  # place, sector, module, group or topic-same-place

    @property
    def first(self) -> str:
        return self.turns[0]


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().split()) == " ".join(b.lower().split())


# --- reading a conversation set --------------------------------------------------------------------


def _parse_conversation(row: Any, line: int, seen: dict[str, int]) -> tuple[ConversationCase | None, list[SetProblem]]:
    if not isinstance(row, dict):
        return None, [SetProblem(line, f"each line must be a JSON object, got {type(row).__name__}")]
    problems: list[SetProblem] = []
    turns = row.get("turns")
    if not isinstance(turns, list) or len(turns) != 2 or not all(isinstance(t, str) and t.strip() for t in turns):
        problems.append(SetProblem(line, f"turns must be a list of 2 non-empty strings, got {json.dumps(turns)[:80]}"))
    read_as = row.get("read_as", "")
    if not isinstance(read_as, str):
        problems.append(SetProblem(line, "read_as must be a string"))
    replaces = row.get("replaces", "")
    if replaces and replaces not in REPLACES:
        problems.append(SetProblem(line, f"replaces must be one of {', '.join(REPLACES)}, got {json.dumps(replaces)}"))
    if "question" in row:
        problems.append(SetProblem(line, "a conversation row has turns, not a question"))
    # Every other key is a single question's: checked by the test-set rules on the follow-up.
    single = {key: value for key, value in row.items() if key not in CONVERSATION_KEYS}
    single["question"] = turns[1] if isinstance(turns, list) and len(turns) == 2 else "?"
    case, found = parse_row(single, line, seen)
    problems += [p for p in found if not p.message.startswith("question ")]
    if case is None or any(p.severity == "error" for p in problems):
        return None, problems
    conversation = ConversationCase(**vars(case), turns=list(turns), read_as=str(read_as), replaces=str(replaces))
    return conversation, problems


def parse_conversation_set(path: Path) -> tuple[list[ConversationCase], list[SetProblem]]:
    """Every well-formed conversation of a JSON Lines set, and every problem found (not only the first)."""
    return parse_rows(path, _parse_conversation)


def load_conversation_set(path: Path) -> list[ConversationCase]:
    """The conversations of a set; TestSetError naming each bad line when any line is malformed."""
    cases, problems = parse_conversation_set(path)
    refuse_errors(path, problems)
    return cases


def is_conversation_set(path: Path) -> bool:
    """Whether a JSON Lines set holds conversations: its first object row has ``turns``."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return False
    for raw in lines:
        try:
            row = json.loads(raw)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            return "turns" in row
    return False


# --- running and scoring conversations -------------------------------------------------------------


def read_case(case: ConversationCase) -> Reading | None:
    """How the chat reads the follow-up after the first question; None when it would stand alone."""
    return read_in_conversation(case.question, [(case.first, None)])


def ask_follow_up(
    assistant: Assistant, case: ConversationCase, k: int, retriever: str | None = None, rewrite: bool = True
) -> Answer:
    """The answer to the follow-up as the chat gives it; ``rewrite=False`` asks it with context as before."""
    reading = read_case(case)
    if reading is None:
        return assistant.ask(case.question, k=k, retriever=retriever)
    if not rewrite:
        return assistant.ask(case.question, k=k, retriever=retriever, context=reading.earlier)
    return assistant.ask(reading.question, k=k, retriever=retriever, context=reading.context)


def run_conversations(
    assistant: Assistant,
    cases: list[ConversationCase],
    k: int,
    retriever: str | None = None,
    progress: Callable[[Iterable[ConversationCase]], Iterable[ConversationCase]] | None = None,
    rewrite: bool = True,
) -> list[CaseResult]:
    """Answer every follow-up as the chat does, after one untimed warm-up question, and judge the answers.

    The first turn is not answered: the chat reads a follow-up from the first question's text alone,
    so its answer cannot change the second.
    """
    return run_cases(
        assistant, cases, k, retriever, progress,  # type: ignore[arg-type]  # conversations are test cases
        ask=lambda case: ask_follow_up(assistant, case, k, retriever, rewrite),  # type: ignore[arg-type]
        warm_up=cases[0].first if cases else None,
    )


def read_as_agreement(cases: list[ConversationCase]) -> float | None:
    """Share of labelled conversations whose rewritten follow-up equals ``read_as`` (see the module doc)."""
    labelled = [case for case in cases if case.read_as]
    if not labelled:
        return None
    agree = 0
    for case in labelled:
        reading = read_case(case)
        agree += bool(reading and reading.read_as and _same(reading.read_as, case.read_as))
    return round(agree / len(labelled), 4)


def evaluate_conversations(
    assistant: Assistant,
    cases: list[ConversationCase],
    k: int = 5,
    retriever: str | None = None,
    progress: Callable[[Iterable[ConversationCase]], Iterable[ConversationCase]] | None = None,
    rewrite: bool = True,
) -> EvalSummary:
    """Run a conversation set and summarise it: the single-question metrics plus ``read_as_agreement``."""
    results = run_conversations(assistant, cases, k, retriever, progress, rewrite)
    summary = summarise(results, assistant.index.chunks, k)
    summary.metrics[READ_AS_AGREEMENT] = read_as_agreement(cases) if rewrite else None
    return summary


def annotate_report(report: dict[str, Any], cases: list[ConversationCase]) -> dict[str, Any]:
    """A run's report with the agreement's definition and, per question, the first turn and both readings."""
    report["definitions"][READ_AS_AGREEMENT] = READ_AS_DEFINITION
    by_id = {case.id: case for case in cases}
    for row in report["questions"]:
        case = by_id.get(row["id"])
        if case is None:
            continue
        reading = read_case(case)
        got = reading.read_as if reading else None
        row["conversation"] = {
            "turns": case.turns,
            "replaces": case.replaces,
            "read_as_expected": case.read_as,
            "read_as": got,
            "read_as_agrees": bool(got and _same(got, case.read_as)),
        }
    return report
