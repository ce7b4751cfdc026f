"""Reading a PDF into Lines whose heading levels come from typography, not from guessing at words.

Owns: opening a PDF (encrypted, corrupt, no text layer → ``PdfProblem`` with a reason), each text
run's size, weight and position (pypdf's ``extract_text`` visitor), dropping running headers,
footers and page numbers, ranking heading levels by font size, and joining wrapped headings.

Published PDFs mark headings only by larger or bold text; their words alone do not say so. The body
size is the most common size by characters; clearly larger lines are headings ranked by size
(largest = 1), and short bold lines at body size are the lowest level. When the PDF gives no size
signal, ``PdfText.typographic`` is False and the caller guesses headings from the text instead.

pypdf logs what it repaired ("EOF marker not found") without saying in which file; those warnings
are held while a PDF is read and logged again here, each naming the file.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pypdf import PageObject, PdfReader, mult
from pypdf.errors import PdfReadError, PyPdfError

from assistant.models import Line

HEADING_RATIO = 1.15  # a line this much larger than body text is a heading
BODY_TOLERANCE = 0.95  # bold text at least this large (relative to body) can be a minor heading
MAX_HEADING_CHARS = 200  # longer "headings" are large-print paragraphs (pull quotes, lead text)
MAX_BOLD_HEADING_CHARS = 90  # a bold line at body size longer than this is emphasised text
WRAP_GAP = 1.7  # baselines closer than this many font sizes belong to one wrapped heading
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running headers/footers
RUNNING_SHARE = 0.5  # a line repeated at a page edge on this share of pages (and on 3+) is running
MAX_LEVEL = 6
_BOLD_MARKERS = ("bold", "black", "heavy")  # "Semibold"/"DemiBold" contain "bold"
_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_PAGE_NUMBER = re.compile(r"^[\s\-–—]*(?:page\s+)?\d{1,4}(?:\s*(?:/|of)\s*\d{1,4})?[\s\-–—]*$", re.IGNORECASE)
_NO_FULL_STOP = (".", ",", ";")
_log = logging.getLogger(__name__)


class PdfProblem(Exception):
    """Why a PDF cannot be read, in words a person can act on (the caller names the file)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class PdfText:
    """The lines of a PDF in reading order, its title metadata, and whether levels come from typography."""

    lines: list[Line]
    title: str | None
    page_count: int
    typographic: bool  # False: no size/weight signal, so heading_level is never set here


@dataclass
class _Run:
    text: str
    size: float  # in points, after the text and graphics transformations
    bold: bool
    y: float | None  # baseline height on the page (larger = higher); None when not known


@dataclass
class _Raw:
    """One extracted line with the typography of most of its characters."""

    page: int
    text: str
    size: float
    bold: bool
    y: float | None
    line_no: int = 0


def _is_bold(font_dict: object) -> bool:
    name = str(font_dict.get("/BaseFont", "")) if isinstance(font_dict, dict) else ""
    return any(marker in name.lower() for marker in _BOLD_MARKERS)


def _page_runs(page: PageObject) -> list[list[_Run]]:
    """The text runs of a page grouped into the lines pypdf's extractor produces."""
    lines: list[list[_Run]] = [[]]

    def visit(text: str, cm: list[float], tm: list[float], font_dict: object, font_size: float) -> None:
        if not text:
            return
        matrix = mult(tm, cm)
        # The glyph height is the font size scaled by the vertical axis of text matrix × CTM.
        size = abs(float(font_size) * math.hypot(matrix[2], matrix[3]))
        bold = _is_bold(font_dict)
        for number, piece in enumerate(text.split("\n")):
            if number:
                lines.append([])
            if piece:
                # The matrix places the run's first line only; lines after a break inside it have no known height.
                y = None if number else float(matrix[5])
                lines[-1].append(_Run(piece.translate(_LIGATURES), size, bold, y))

    page.extract_text(visitor_text=visit)
    return [runs for runs in lines if "".join(r.text for r in runs).strip()]


def _raw_line(page: int, runs: list[_Run]) -> _Raw:
    sizes: Counter[float] = Counter()
    bold_chars = chars = 0
    for run in runs:
        count = len(run.text.strip())
        chars += count
        bold_chars += count if run.bold else 0
        if run.size > 0:
            sizes[round(run.size * 2) / 2] += count  # half-point buckets absorb rounding noise
    inked = [r for r in runs if r.text.strip() and r.y is not None]
    return _Raw(
        page=page,
        text="".join(r.text for r in runs).rstrip(),
        size=sizes.most_common(1)[0][0] if sizes else 0.0,
        bold=chars > 0 and bold_chars >= 0.8 * chars,
        y=inked[0].y if inked else None,
    )


def _running_key(text: str) -> str:
    """A line as it repeats from page to page: page numbers and dates vary only in their digits."""
    return re.sub(r"\s+", " ", re.sub(r"\d+", "#", text.lower())).strip()


def _edge_indexes(lines: list[_Raw]) -> set[int]:
    """Lines that sit at the top or bottom of the page, by position and by reading order."""
    edges = set(range(min(EDGE_LINES, len(lines)))) | set(range(max(0, len(lines) - EDGE_LINES), len(lines)))
    placed = sorted((i for i, line in enumerate(lines) if line.y is not None), key=lambda i: lines[i].y or 0.0)
    # Some producers (Chromium) draw the header last: its place on the page says more than its order.
    edges.update(placed[:EDGE_LINES])
    edges.update(placed[-EDGE_LINES:])
    return edges


def _drop_running_lines(pages: list[list[_Raw]]) -> list[list[_Raw]]:
    """Remove running headers/footers (repeated at a page edge on many pages) and page numbers."""
    edges = [_edge_indexes(lines) for lines in pages]
    seen: Counter[str] = Counter()
    for lines, edge in zip(pages, edges, strict=True):
        seen.update({_running_key(lines[i].text) for i in edge})
    needed = max(3, math.ceil(RUNNING_SHARE * len(pages)))
    kept = []
    for lines, edge in zip(pages, edges, strict=True):
        kept.append([
            line for i, line in enumerate(lines)
            if not (i in edge and (seen[_running_key(line.text)] >= needed or _PAGE_NUMBER.match(line.text)))
        ])
    return kept


def _body_size(lines: list[_Raw]) -> float:
    sizes: Counter[float] = Counter()
    for line in lines:
        if line.size > 0:
            sizes[line.size] += len(line.text.strip())
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _candidate(line: _Raw, body: float) -> tuple[str, float] | None:
    """What kind of heading a line could be by its typography: ("size", size), ("bold", 0) or None."""
    if line.size >= HEADING_RATIO * body:
        return ("size", line.size)
    if line.bold and line.size >= BODY_TOLERANCE * body:
        return ("bold", 0.0)
    return None


def _is_heading(kind: str, text: str) -> bool:
    if sum(c.isalpha() for c in text) < 2:
        return False  # drop caps, big figures in infographics
    if kind == "bold":
        return len(text) <= MAX_BOLD_HEADING_CHARS and not text.endswith(_NO_FULL_STOP)
    return len(text) <= MAX_HEADING_CHARS


def _wraps(previous: _Raw, line: _Raw) -> bool:
    """Whether ``line`` continues the heading on ``previous`` (same page, next baseline down)."""
    if previous.page != line.page:
        return False
    if previous.y is None or line.y is None:
        return True
    return 0 < previous.y - line.y <= WRAP_GAP * max(line.size, 1.0)


def _with_levels(lines: list[_Raw]) -> list[Line]:
    body = _body_size(lines)
    kinds = [_candidate(line, body) for line in lines]
    ranked = sorted({kind[1] for kind in kinds if kind and kind[0] == "size"}, reverse=True)
    levels = {size: min(rank, MAX_LEVEL) for rank, size in enumerate(ranked, start=1)}
    bold_level = min(len(ranked) + 1, MAX_LEVEL)
    result: list[Line] = []
    i = 0
    while i < len(lines):
        kind = kinds[i]
        end = i + 1
        if kind is not None:
            while end < len(lines) and kinds[end] == kind and _wraps(lines[end - 1], lines[end]):
                end += 1
        text = " ".join(line.text.strip() for line in lines[i:end])
        if kind is not None and _is_heading(kind[0], text):
            level = levels[kind[1]] if kind[0] == "size" else bold_level
            result.append(Line(text=text, line_no=lines[i].line_no, page=lines[i].page, heading_level=level))
        else:
            result.extend(Line(text=line.text, line_no=line.line_no, page=line.page) for line in lines[i:end])
        i = end
    return result


def _open(path: Path) -> PdfReader:
    reader = PdfReader(path)
    if reader.is_encrypted:
        try:
            unlocked = reader.decrypt("")
        except (PyPdfError, NotImplementedError) as exc:
            raise PdfProblem(f"PDF is encrypted and cannot be opened ({exc})") from exc
        if not unlocked:
            raise PdfProblem("PDF is encrypted (password protected); save an unprotected copy")
    return reader


class _Held(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages[record.getMessage()] += 1


@contextmanager
def _warnings_naming(path: Path) -> Iterator[None]:
    """pypdf's warnings while ``path`` is read, logged again with the file's name (once per message,
    with a count). Ingest reads one file at a time, so what pypdf logs meanwhile is about this file."""
    pypdf_log = logging.getLogger("pypdf")
    held, propagate = _Held(), pypdf_log.propagate
    pypdf_log.addHandler(held)
    pypdf_log.propagate = False
    try:
        yield
    finally:
        pypdf_log.removeHandler(held)
        pypdf_log.propagate = propagate
        for message, count in held.messages.items():
            _log.warning("%s: %s%s", path, message, f" ({count} times)" if count > 1 else "")


def read_pdf(path: Path) -> PdfText:
    """The lines of the PDF at ``path`` with page, line-within-page and heading level, or PdfProblem."""
    with _warnings_naming(path):
        return _read(path)


def _read(path: Path) -> PdfText:
    try:
        reader = _open(path)
        pages = [[_raw_line(number, runs) for runs in _page_runs(page)] for number, page in enumerate(reader.pages, 1)]
        title = None
        if reader.metadata and reader.metadata.title:
            title = str(reader.metadata.title).strip() or None
    except PdfProblem:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise PdfProblem(f"not a readable PDF ({type(exc).__name__}: {exc})") from exc
    if not pages:
        raise PdfProblem("PDF has no pages")
    if not any(pages):
        raise PdfProblem("PDF has no text layer (a scan?); run OCR on it first")
    kept = _drop_running_lines(pages)
    for page_lines in kept:
        for number, line in enumerate(page_lines, start=1):
            line.line_no = number
    flat = [line for page_lines in kept for line in page_lines]
    body = _body_size(flat)
    typographic = body > 0 and any(_candidate(line, body) for line in flat)
    if not typographic:
        lines = [Line(text=line.text, line_no=line.line_no, page=line.page) for line in flat]
    else:
        lines = _with_levels(flat)
    return PdfText(lines=lines, title=title, page_count=len(pages), typographic=typographic)
