"""Loading source files (Markdown, plain text, PDF) into Documents, with catalog metadata.

Owns: reading bytes, decoding, recognising heading lines in Markdown and plain text, and the
metadata of each file (from ``catalog.toml`` beside it, or derived from the file). PDFs are read by
``ingest.pdf`` (headings from typography); their problems come back here as ``SourceError``. Every
problem a file can have is raised as a ``SourceError`` naming the file and the reason; nothing is printed.
What a folder holds but ingest does not read (sub-folders, symbolic link loops, broken links, devices)
is logged as a warning naming it, so nothing is left out without a word.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import re
import tomllib
from pathlib import Path

from assistant.ingest.pdf import PdfProblem, read_pdf
from assistant.models import Document, DocumentMeta, Line

SUPPORTED_SUFFIXES = {".md": "markdown", ".markdown": "markdown", ".txt": "text", ".pdf": "pdf"}
CATALOG_NAME = "catalog.toml"

_MD_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_MD_BOLD_LINE = re.compile(r"^\*{2,3}([^*]{3,100})\*{2,3}$")
_NUMBERED_HEADING = re.compile(r"^(\d+(?:\.\d+)*)\.?\s+[A-Z][^.!?]*$")
_log = logging.getLogger(__name__)


class SourceError(Exception):
    """A file that cannot be ingested, with the reason in words a person can act on."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug or "document"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_catalog(folder: Path) -> dict[str, dict]:
    """The catalog entries of a folder keyed by file name; empty when there is no catalog."""
    path = folder / CATALOG_NAME
    if not path.is_file():
        return {}
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SourceError(path, f"catalog is not valid TOML: {exc}") from exc


def _not_read(entry: Path) -> str | None:
    """Why a folder's entry is not read as a file, or None when it is one."""
    try:
        entry.stat()  # follows links: a loop or a dangling link fails here
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symbolic link loop"
        return "broken symbolic link" if entry.is_symlink() else f"cannot be read ({exc.strerror})"
    if entry.is_file():
        return None
    if entry.is_dir():
        return "a sub-folder (sub-folders are not read; pass it to ingest as a path of its own)"
    return "not a regular file"


def discover(paths: list[Path]) -> list[Path]:
    """Expand folders into the files they hold (sorted; hidden files and the catalog skipped), so an
    unsupported file in a folder is reported rather than silently ignored, and anything else in the
    folder is logged as skipped. Files and missing paths pass."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for entry in sorted(path.iterdir()):
            if entry.name.startswith(".") or entry.name == CATALOG_NAME:
                continue
            reason = _not_read(entry)
            if reason is None:
                found.append(entry)
            else:
                _log.warning("skipped %s: %s", entry, reason)
    return found


def looks_like_heading(text: str) -> int | None:
    """Heading level guessed for a line of a PDF or plain-text file, or None for body text."""
    line = text.strip()
    if not line or len(line) > 90 or line.endswith((".", ",", ";", ":")) or not line[0].isalnum():
        return None
    words = line.split()
    numbered = _NUMBERED_HEADING.match(line)
    if numbered and len(words) <= 14:
        return min(1 + numbered.group(1).count("."), 6)
    letters = [c for c in line if c.isalpha()]
    if len(letters) >= 3 and all(c.isupper() for c in letters) and len(words) <= 10:
        return 1
    significant = [w for w in words if len(w) > 3]
    if (
        1 <= len(words) <= 8
        and line[0].isupper()
        and significant
        and all(w[0].isupper() or not w[0].isalpha() for w in significant)
    ):
        return 2
    return None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SourceError(
            path, f"not UTF-8 text (invalid byte at position {exc.start}); save the file as UTF-8"
        ) from exc


def _markdown_lines(text: str) -> list[Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        heading = _MD_HEADING.match(raw.strip())
        bold = _MD_BOLD_LINE.match(raw.strip())
        if heading:
            lines.append(Line(text=heading.group(2).strip(), line_no=number, heading_level=len(heading.group(1))))
        elif bold:
            # A line that is bold and nothing else works as a minor heading in converted documents.
            lines.append(Line(text=bold.group(1).strip(), line_no=number, heading_level=6))
        else:
            lines.append(Line(text=raw.rstrip(), line_no=number))
    return lines


def _plain_lines(text: str) -> list[Line]:
    return [
        Line(text=raw.rstrip(), line_no=number, heading_level=looks_like_heading(raw))
        for number, raw in enumerate(text.splitlines(), start=1)
    ]


def _pdf_lines(path: Path) -> tuple[list[Line], str | None, int]:
    try:
        pdf = read_pdf(path)
    except PdfProblem as exc:
        raise SourceError(path, exc.reason) from exc
    if pdf.typographic:
        return pdf.lines, pdf.title, pdf.page_count
    # No size or weight tells headings apart in this PDF: guess them from the words, as for plain text.
    guessed = [line.model_copy(update={"heading_level": looks_like_heading(line.text)}) for line in pdf.lines]
    return guessed, pdf.title, pdf.page_count


def _derive_title(path: Path, lines: list[Line], pdf_title: str | None) -> str:
    if pdf_title:
        return pdf_title
    for line in lines[:80]:
        if line.heading_level is not None and len(line.text) > 3:
            return re.sub(r"^[►▶\s]+", "", line.text)
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize()


def _reuse(path: Path, entry: dict) -> bool | None:
    """The catalog's ``reuse`` (may the document be exported?): true, false, or absent (None)."""
    reuse = entry.get("reuse")
    if reuse is not None and not isinstance(reuse, bool):
        raise SourceError(path, f"catalog field 'reuse' must be true or false, not {reuse!r}")
    return reuse


def catalog_entry_sha256(entry: dict) -> str:
    """A fingerprint of a document's catalog entry: a changed title, licence or ``reuse`` changes it."""
    return hashlib.sha256(json.dumps(entry, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _meta(path: Path, entry: dict, title: str, sha256: str) -> DocumentMeta:
    period = entry.get("period")
    year_source = str(entry.get("year") or period or path.stem)
    year_match = re.search(r"(19|20)\d{2}", year_source)
    return DocumentMeta(
        doc_id=entry.get("doc_id") or slugify(path.stem),
        title=entry.get("title") or title,
        kind=entry.get("kind", "other"),
        period=period,
        year=int(entry["year"]) if entry.get("year") else (int(year_match.group(0)) if year_match else None),
        language=entry.get("language", "en"),
        publisher=entry.get("publisher"),
        license=entry.get("license"),
        reuse=_reuse(path, entry),
        attribution=entry.get("attribution"),
        url=entry.get("url"),
        source_path=str(path.resolve()),
        file_name=path.name,
        sha256=sha256,
        catalog_sha256=catalog_entry_sha256(entry),
    )


def load_document(path: Path, catalog: dict[str, dict] | None = None) -> Document:
    """Load one file into a Document, or raise SourceError saying why it cannot be."""
    if not path.exists():
        raise SourceError(path, "no such file or folder")
    if not path.is_file():
        raise SourceError(path, "not a regular file")
    kind = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise SourceError(path, f"unsupported file type '{path.suffix or '(none)'}' (supported: {supported})")
    if path.stat().st_size == 0:
        raise SourceError(path, "file is empty")
    if catalog is None:
        catalog = read_catalog(path.parent)
    entry = catalog.get(path.name, {})
    sha256 = file_sha256(path)
    pdf_title = None
    page_count = None
    if kind == "pdf":
        lines, pdf_title, page_count = _pdf_lines(path)
    else:
        text = _decode(path, path.read_bytes())
        if not text.strip():
            raise SourceError(path, "file holds no text (only whitespace)")
        lines = _markdown_lines(text) if kind == "markdown" else _plain_lines(text)
    title = _derive_title(path, lines, pdf_title)
    return Document(meta=_meta(path, entry, title, sha256), lines=lines, page_count=page_count)
