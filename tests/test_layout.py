"""The package layout keeps its promises: imports run one way only, and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"

# Bottom to top. A module may import from its own layer or the layers below, never above.
# ``ingest`` sits above ``search`` because the build it orchestrates writes the search index.
LAYERS: dict[str, int] = {
    "models": 0, "config": 0, "templating": 0, "fitted": 0, "__init__": 0,
    "text": 1,
    "search": 2,
    "ingest": 3,
    "qa": 4, "library": 4, "export": 4,
    "db": 5, "evaluation": 5, "curation": 5,
    "web": 6,
    "cli": 7,
}
PURE = ("text", "ingest", "search", "qa", "library", "export")  # the core: never the database, the web or the CLI
MAX_LINES = 350


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _part(module: str) -> str:
    """The top-level part of a dotted module name under ``assistant``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("assistant"):
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names if alias.name.startswith("assistant"))
    return found


def _violations(path: Path) -> list[str]:
    name = str(path.relative_to(PACKAGE))
    own = path.relative_to(PACKAGE).parts[0].removesuffix(".py")
    if own not in LAYERS:
        return [f"{name}: {own} has no layer (add it to LAYERS)"]
    problems = []
    for module in _imports(path):
        target = _part(module)
        if LAYERS.get(target, 99) > LAYERS[own] or (own in PURE and target in ("db", "web", "cli")):
            problems.append(f"{name} imports {module}")
    return problems


def test_imports_never_run_upward():
    assert [problem for path in _modules() for problem in _violations(path)] == []


def test_the_layer_check_sees_a_violation(tmp_path, monkeypatch):
    fake = tmp_path / "assistant"
    (fake / "search").mkdir(parents=True)
    bad = fake / "search" / "bad.py"
    bad.write_text("from assistant.web.app import create_app\nimport assistant.ingest.build\n", encoding="utf-8")
    monkeypatch.setattr(f"{__name__}.PACKAGE", fake)
    expected = ["search/bad.py imports assistant.web.app", "search/bad.py imports assistant.ingest.build"]
    assert _violations(bad) == expected


def test_modules_are_small_and_say_what_they_own():
    long, undocumented = [], []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_LINES:
            long.append(str(path.relative_to(PACKAGE)))
        if path.name != "__main__.py" and "versions" not in path.parts and not ast.get_docstring(ast.parse(text)):
            undocumented.append(str(path.relative_to(PACKAGE)))
    assert long == [] and undocumented == []
