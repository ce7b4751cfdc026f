"""Provenance of an evaluation run: the code version, model, index build and corpus checksums.

What tells two runs apart when they are compared; read from the index manifest and git, never
from the environment.
"""

from __future__ import annotations

import copy
import hashlib
import platform
import subprocess
from pathlib import Path
from typing import Any

from assistant import __version__


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def code_version() -> dict[str, Any]:
    """Package version, and the git commit (with whether tracked files differ from it) when there is one."""
    commit = _git("rev-parse", "HEAD")
    dirty = None if commit is None else bool(_git("status", "--porcelain", "--untracked-files=no"))
    return {"package": __version__, "git_commit": commit, "git_dirty": dirty, "python": platform.python_version()}


def corpus_fingerprint(documents: dict[str, dict[str, Any]]) -> str:
    """One checksum over every indexed document's sha256: equal fingerprints mean the same corpus."""
    lines = sorted(f"{doc_id}:{meta.get('sha256', '')}" for doc_id, meta in documents.items())
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def provenance(manifest: dict[str, Any], index_path: Path | str) -> dict[str, Any]:
    """What produced a run: code version, model, index build and corpus checksums."""
    manifest = copy.deepcopy(manifest)  # the report must not share (and later alter) the loaded index's manifest
    documents = manifest.get("documents", {})
    return {
        "code": code_version(),
        "model": manifest.get("model", {}),
        "index": {
            "path": str(index_path),
            "built_at": manifest.get("built_at"),
            "format_version": manifest.get("format_version"),
            "code_version": manifest.get("code_version"),
            "chunker": manifest.get("chunker", {}),
            "counts": manifest.get("counts", {}),
        },
        "corpus": {
            "fingerprint": corpus_fingerprint(documents),
            "documents": {
                doc_id: {"file": meta.get("file"), "sha256": meta.get("sha256")} for doc_id, meta in documents.items()
            },
        },
    }
