"""Comparing two evaluation runs: metric deltas, what differs between the runs, better and worse questions."""

from __future__ import annotations

from typing import Any

from assistant.evaluation.metrics import LOWER_IS_BETTER
from assistant.evaluation.reports.build import SCHEMA_VERSION


def _run_label(report: dict[str, Any]) -> str:
    return report.get("name") or f"{report['test_set']['name']}-{report['run']['retriever']}"


def _short(value: Any) -> str:
    return "—" if value is None else str(value)


def _differences(a: dict[str, Any], b: dict[str, Any]) -> list[dict[str, Any]]:
    """The facts that tell two runs apart, side by side."""

    def facts(report: dict[str, Any]) -> dict[str, Any]:
        prov = report.get("provenance", {})
        code = prov.get("code", {})
        commit = code.get("git_commit")
        return {
            "test set": f"{report['test_set']['name']} ({report['test_set'].get('sha256', '')[:12]})",
            "retriever": report["run"].get("retriever"),
            "k": report["run"].get("k"),
            "model": prov.get("model", {}).get("name"),
            "corpus": (prov.get("corpus", {}).get("fingerprint") or "")[:12] or None,
            "index built": prov.get("index", {}).get("built_at"),
            "code": f"{code.get('package')} {commit[:10] if commit else 'no git'}"
            + (" (modified)" if code.get("git_dirty") else ""),
        }

    left, right = facts(a), facts(b)
    changed_settings = sorted(
        key
        for key in set(a["run"].get("settings", {})) | set(b["run"].get("settings", {}))
        if a["run"].get("settings", {}).get(key) != b["run"].get("settings", {}).get(key)
        and key not in ("index_dir", "corpus_dir")
    )
    rows = [{"field": key, "a": _short(left[key]), "b": _short(right[key]), "same": left[key] == right[key]}
            for key in left]
    for key in changed_settings:
        rows.append({"field": f"setting {key}", "a": _short(a["run"]["settings"].get(key)),
                     "b": _short(b["run"]["settings"].get(key)), "same": False})
    return rows


def _question_key(row: dict[str, Any], k: int) -> list[tuple[str, float, str]]:
    """What makes one answer to a question better than another, most important first."""
    rank = row.get("first_support_rank")
    key = [("verdict", float(row["verdict"] == "pass"), row["verdict"])]
    if row.get("type") != "unanswerable":
        key.append(("first supporting passage rank", -float(rank or k + 1), _short(rank) if rank else "none"))
        for name in ("citation_precision", "must_contain_recall"):
            value = row.get(name)
            key.append((name.replace("_", " "), -1.0 if value is None else float(value), _short(value)))
    return key


def compare_questions(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Questions (by id) that got better and worse from run A to run B.

    The first of verdict, rank of the first supporting passage, citation precision and must-contain
    recall that differs decides (eval/README.md).
    """
    k = max(int(a["run"].get("k", 5)), int(b["run"].get("k", 5)))
    rows_a = {row["id"]: row for row in a["questions"]}
    better, worse = [], []
    for row_b in b["questions"]:
        row_a = rows_a.get(row_b["id"])
        if row_a is None:
            continue
        for (what, value_a, shown_a), (_, value_b, shown_b) in zip(
            _question_key(row_a, k), _question_key(row_b, k), strict=False
        ):
            if value_a == value_b:
                continue
            change = {
                "id": row_b["id"],
                "type": row_b.get("type"),
                "question": row_b["question"],
                "change": f"{what}: {shown_a} → {shown_b}",
                "a": {"verdict": row_a["verdict"], "first_support_rank": row_a.get("first_support_rank"),
                      "failures": row_a.get("failures", [])},
                "b": {"verdict": row_b["verdict"], "first_support_rank": row_b.get("first_support_rank"),
                      "failures": row_b.get("failures", [])},
            }
            (better if value_b > value_a else worse).append(change)
            break
    return better, worse


def compare_reports(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Metrics of two runs side by side with deltas (B − A), what differs between the runs, and the
    questions that got better or worse."""
    names = list(dict.fromkeys([*a["metrics"], *b["metrics"]]))
    metrics = []
    for name in names:
        value_a, value_b = a["metrics"].get(name), b["metrics"].get(name)
        delta = None if value_a is None or value_b is None else round(value_b - value_a, 4)
        improved = None
        if delta not in (None, 0) and name != "questions":
            improved = (delta < 0) if name in LOWER_IS_BETTER else (delta > 0)
        metrics.append({"name": name, "a": value_a, "b": value_b, "delta": delta, "improved": improved})
    better, worse = compare_questions(a, b)
    ids_a = {row["id"] for row in a["questions"]}
    ids_b = {row["id"] for row in b["questions"]}
    return {
        "schema_version": SCHEMA_VERSION,
        "a": {"name": _run_label(a), "created_at": a.get("created_at")},
        "b": {"name": _run_label(b), "created_at": b.get("created_at")},
        "runs": _differences(a, b),
        "same_test_set": a["test_set"].get("sha256") == b["test_set"].get("sha256"),
        "metrics": metrics,
        "definitions": {**a.get("definitions", {}), **b.get("definitions", {})},
        "better": better,
        "worse": worse,
        "only_in_a": sorted(ids_a - ids_b),
        "only_in_b": sorted(ids_b - ids_a),
    }
