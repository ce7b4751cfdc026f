"""Rendering a handout in a format, and naming the file it goes to.

Owns the formats (``FORMATS``: name → media type; ``ExportFormat`` for request schemas), the choice
of renderer, ``safe_filename`` (a file name made from a title that holds no path separator, no "..",
no control or reserved character, is bounded in length and is never empty) and the
``Content-Disposition`` value that offers it for download (RFC 6266, ``filename*`` per RFC 5987).
An unknown format is an ``UnknownFormat`` (a ValueError) that lists the valid ones; a licence that
does not allow the export is ``attribution.ExportRefused``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Literal
from urllib.parse import quote

from assistant.export.docx import render_docx
from assistant.export.markdown import render_markdown
from assistant.export.pptx import render_pptx
from assistant.export.view import HandoutView, handout_view
from assistant.models import DocumentMeta, Handout

ExportFormat = Literal["docx", "pptx", "md"]
FORMATS: dict[str, str] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "md": "text/markdown; charset=utf-8",
}
_RENDERERS: dict[str, Callable[[HandoutView], bytes]] = {
    "docx": render_docx, "pptx": render_pptx, "md": render_markdown,
}
MAX_STEM = 80
DEFAULT_STEM = "handout"
_RESERVED = re.compile(r'[/\\:*?"<>|]')
# Names Windows keeps for devices, whatever the extension.
_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)


class UnknownFormat(ValueError):
    """An export format that is not one of ``FORMATS``; the message lists the valid ones."""

    def __init__(self, fmt: str) -> None:
        super().__init__(f"unknown export format {fmt!r}; valid formats: {', '.join(FORMATS)}")


def check_format(fmt: str) -> str:
    """The format name, lower case, or UnknownFormat."""
    name = fmt.strip().lower().lstrip(".")
    if name not in FORMATS:
        raise UnknownFormat(fmt)
    return name


def render(handout: Handout, documents: Mapping[str, DocumentMeta], fmt: str) -> bytes:
    """The handout as a file of format ``fmt`` (docx, pptx or md), credit lines included.

    UnknownFormat for another format; ExportRefused naming each document whose licence does not
    allow it (nothing is rendered then)."""
    renderer = _RENDERERS[check_format(fmt)]
    return renderer(handout_view(handout, documents))


def safe_filename(title: str, fmt: str) -> str:
    """'Title.docx' made safe: no path separator or reserved character, no control character, no
    '..', no leading or trailing dot or space, at most MAX_STEM characters, never empty."""
    stem = unicodedata.normalize("NFKC", title)
    stem = "".join(" " if unicodedata.category(c).startswith("C") else c for c in stem)
    stem = _RESERVED.sub(" ", stem)
    stem = re.sub(r"\.{2,}", ".", " ".join(stem.split()))
    stem = stem[:MAX_STEM].strip(" .")
    if not stem or _DEVICES.match(stem.split(".")[0]):
        stem = f"{DEFAULT_STEM} {stem}".strip(" .") if stem else DEFAULT_STEM
    return f"{stem}.{check_format(fmt)}"


def content_disposition(filename: str) -> str:
    """'attachment; filename="…"; filename*=UTF-8\'\'…': an ASCII stand-in for old clients, the
    exact name percent-encoded for the others (RFC 6266 and 5987)."""
    stem, _, extension = filename.rpartition(".")
    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    plain = " ".join(re.sub(r"[^A-Za-z0-9 .,()&+_-]", " ", plain).split()).strip(" .")
    fallback = f"{plain if re.search(r'[A-Za-z0-9]', plain) else DEFAULT_STEM}.{extension}"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
