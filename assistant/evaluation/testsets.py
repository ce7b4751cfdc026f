"""Test sets: reading a JSON Lines set (format in eval/README.md) and finding every problem in it.

Owns the ``TestCase`` shape, parsing with every bad line reported (not only the first), and lint:
questions the assistant would refuse, and expectations (``must_contain`` strings, sections) that the
indexed corpus does not hold. It neither runs questions nor prints.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from assistant.config import Settings
from assistant.evaluation.support import in_section, normalise
from assistant.models import Chunk
from assistant.search.filters import QuestionError, check_question

QUESTION_TYPES = ("fact", "multi", "howto", "unanswerable")
REQUIRED_KEYS = ("id", "question", "type", "expected_sections", "must_contain")
OPTIONAL_KEYS = ("answer", "split", "style", "document", "rewritten")
# Every labelled set is split: weights and thresholds are fitted on ``tune``; CI gates on ``holdout``.
SPLITS = ("tune", "holdout")

Severity = Literal["error", "warning"]
# Reads one JSON row (its line, the ids seen so far) into a case, or None, with the problems found.
RowParser = Callable[[Any, int, dict[str, int]], tuple[Any, list["SetProblem"]]]


class TestSetError(ValueError):
    """A malformed test set, with the file and line of each problem."""

    __test__ = False  # not a pytest test class, whatever its name


@dataclass
class TestCase:
    """One question of a test set and what a correct answer needs."""

    __test__ = False  # not a pytest test class, whatever its name

    id: str
    question: str
    type: str
    expected_sections: list[str]
    must_contain: list[str]
    answer: str = ""
    line: int = 0  # where the case sits in its file (1-based), 0 when built in code
    split: str = ""  # "tune" or "holdout"; empty in a set that is not split
    style: list[str] = field(default_factory=list)  # how it is asked: paraphrase, colloquial, multi-part…
    document: str = ""  # the file the question is about, in sets over several documents

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"


@dataclass(frozen=True)
class SetProblem:
    """One thing wrong with a test set: the line it is on (None for the whole file) and what is wrong."""

    line: int | None
    message: str
    severity: Severity = "error"

    def describe(self, path: Path | str) -> str:
        where = f"{path}:{self.line}" if self.line is not None else str(path)
        return f"{where}: {self.severity}: {self.message}"


# --- reading and linting a test set ----------------------------------------------------------------


def _string_list(row: dict[str, Any], key: str, line: int, problems: list[SetProblem]) -> list[str] | None:
    value = row.get(key)
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(SetProblem(line, f"{key} must be a list of strings, got {json.dumps(value)[:80]}"))
        return None
    if any(not item.strip() for item in value):
        problems.append(SetProblem(line, f"{key} holds an empty string (it would match every passage)"))
        return None
    return value


def parse_row(row: Any, line: int, seen: dict[str, int]) -> tuple[TestCase | None, list[SetProblem]]:
    if not isinstance(row, dict):
        return None, [SetProblem(line, f"each line must be a JSON object, got {type(row).__name__}")]
    problems: list[SetProblem] = []
    missing = [key for key in REQUIRED_KEYS if key not in row]
    if missing:
        problems.append(SetProblem(line, f"missing keys: {', '.join(missing)}"))
    unknown = sorted(set(row) - set(REQUIRED_KEYS) - set(OPTIONAL_KEYS))
    if unknown:
        known = ", ".join(REQUIRED_KEYS + OPTIONAL_KEYS)
        problems.append(SetProblem(line, f"unknown keys: {', '.join(unknown)} (known: {known})", "warning"))
    case_id = row.get("id")
    if "id" in row:
        if not isinstance(case_id, str | int) or isinstance(case_id, bool) or not str(case_id).strip():
            problems.append(SetProblem(line, f"id must be a non-empty string, got {json.dumps(case_id)}"))
        elif str(case_id) in seen:
            problems.append(SetProblem(line, f"duplicate id {str(case_id)!r} (first on line {seen[str(case_id)]})"))
        else:
            seen[str(case_id)] = line
    question = row.get("question")
    if "question" in row and (not isinstance(question, str) or not question.strip()):
        problems.append(SetProblem(line, "question must be a non-empty string"))
    kind = row.get("type")
    if "type" in row and kind not in QUESTION_TYPES:
        problems.append(SetProblem(line, f"unknown type {kind!r} (one of {', '.join(QUESTION_TYPES)})"))
    sections = _string_list(row, "expected_sections", line, problems) if "expected_sections" in row else None
    needles = _string_list(row, "must_contain", line, problems) if "must_contain" in row else None
    if "answer" in row and not isinstance(row["answer"], str):
        problems.append(SetProblem(line, "answer must be a string"))
    if "split" in row and row["split"] not in SPLITS:
        problems.append(SetProblem(line, f"split must be one of {', '.join(SPLITS)}, got {json.dumps(row['split'])}"))
    style = _string_list(row, "style", line, problems) if "style" in row else []
    if kind in QUESTION_TYPES and sections is not None and needles is not None:
        if kind == "unanswerable" and (sections or needles):
            problems.append(
                SetProblem(line, "an unanswerable question should have empty expected_sections and must_contain "
                           "(they are ignored)", "warning")
            )
        if kind != "unanswerable" and not sections and not needles:
            problems.append(
                SetProblem(line, f"a {kind} question needs expected_sections or must_contain: without them no "
                           "passage can support it")
            )
    if any(p.severity == "error" for p in problems):
        return None, problems
    case = TestCase(
        id=str(case_id),
        question=str(question),
        type=str(kind),
        expected_sections=list(sections or []),
        must_contain=list(needles or []),
        answer=str(row.get("answer", "")),
        line=line,
        split=str(row.get("split", "")),
        style=list(style or []),
        document=str(row.get("document", "")),
    )
    return case, problems


def parse_rows(path: Path, parse_row: RowParser) -> tuple[list[Any], list[SetProblem]]:
    """Every well-formed row of a JSON Lines set as ``parse_row`` reads it, and every problem found."""
    if not path.is_file():
        return [], [SetProblem(None, "no such file")]
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return [], [SetProblem(None, f"not UTF-8 text ({exc.reason} at byte {exc.start})")]
    cases: list[Any] = []
    problems: list[SetProblem] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            row = json.loads(raw)
        except json.JSONDecodeError as exc:
            problems.append(SetProblem(number, f"not valid JSON ({exc.msg} at column {exc.colno})"))
            continue
        case, found = parse_row(row, number, seen)
        problems.extend(found)
        if case is not None:
            cases.append(case)
    if not cases and not problems:
        problems.append(SetProblem(None, "the test set is empty"))
    return cases, problems


def parse_test_set(path: Path) -> tuple[list[TestCase], list[SetProblem]]:
    """Every well-formed case of a JSON Lines test set, and every problem found (not only the first)."""
    return parse_rows(path, parse_row)


def refuse_errors(path: Path, problems: list[SetProblem]) -> None:
    """TestSetError naming the first bad lines when any problem is an error."""
    errors = [p for p in problems if p.severity == "error"]
    if errors:
        shown = [p.describe(path) for p in errors[:5]]
        more = f"\n… and {len(errors) - 5} more" if len(errors) > 5 else ""
        raise TestSetError(
            f"{path}: {len(errors)} problem(s); run `score-assistant eval lint {path}` for all of them\n"
            + "\n".join(shown) + more
        )


def load_test_set(path: Path) -> list[TestCase]:
    """The cases of a test set; TestSetError naming each bad line when any line is malformed."""
    cases, problems = parse_test_set(path)
    refuse_errors(path, problems)
    return cases


def select_split(cases: list[TestCase], split: str | None) -> list[TestCase]:
    """The cases of one split (all cases when ``split`` is None); TestSetError when none has it."""
    if split is None:
        return cases
    if split not in SPLITS:
        raise TestSetError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    chosen = [case for case in cases if case.split == split]
    if not chosen:
        raise TestSetError(f"no question of this set is in the {split!r} split")
    return chosen


def question_problems(cases: Iterable[TestCase], settings: Settings) -> list[SetProblem]:
    """Questions the assistant would refuse (empty, too long) under these settings."""
    problems = []
    for case in cases:
        try:
            check_question(case.question, settings)
        except QuestionError as exc:
            problems.append(SetProblem(case.line or None, f"{case.id}: {exc}"))
    return problems


def corpus_problems(cases: Iterable[TestCase], chunks: list[Chunk]) -> list[SetProblem]:
    """must_contain strings and expected sections the indexed corpus does not hold, by the support rule."""
    problems: list[SetProblem] = []
    texts = [normalise(c.text) for c in chunks]
    for case in cases:
        if not case.answerable:
            continue
        line = case.line or None
        for section in case.expected_sections:
            if not any(in_section(chunk, section) for chunk in chunks):
                problems.append(
                    SetProblem(line, f"{case.id}: expected section {section!r} matches no country or heading "
                               "in the index")
                )
        for needle in case.must_contain:
            wanted = normalise(needle)
            holders = [chunk for chunk, text in zip(chunks, texts, strict=True) if wanted in text]
            if not holders:
                problems.append(SetProblem(line, f"{case.id}: must_contain {needle!r} is in no indexed passage"))
            elif case.expected_sections and not any(
                in_section(chunk, section) for chunk in holders for section in case.expected_sections
            ):
                problems.append(
                    SetProblem(line, f"{case.id}: must_contain {needle!r} appears only outside the expected sections",
                               "warning")
                )
    return problems


def lint_test_set(path: Path, chunks: list[Chunk] | None = None, settings: Settings | None = None) -> list[SetProblem]:
    """All problems of a test set file and, given the indexed chunks, of its expectations against the corpus."""
    cases, problems = parse_test_set(path)
    if settings is not None:
        problems += question_problems(cases, settings)
    if chunks is not None:
        problems += corpus_problems(cases, chunks)
    return sorted(problems, key=lambda p: (p.line or 0, p.severity != "error"))
