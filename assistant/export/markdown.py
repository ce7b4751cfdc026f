"""The Markdown handout, for wikis and email: the same examples, sources and credits as the DOCX.

Every text from a document or a note is escaped, so it stays text wherever the Markdown is shown:
what could become HTML (``<``, ``&``), a link or an image (``[``, ``]``, ``!``), emphasis or code
(``*``, ``_``, `````, ``~``), a table (``|``), or, at the start of a line, a heading, a list, a quote
block or a rule. Line breaks inside a text are kept as hard breaks. Quotes are block quotes; the
facilitator's note is a paragraph of its own, labelled as the facilitator's words.
"""

from __future__ import annotations

import re

from assistant.export.attribution import SHORTENED_NOTICE
from assistant.export.view import HandoutView

_INLINE = re.compile(r"([\\`*_\[\]<>&|~!])")
_BLOCK_MARK = re.compile(r"^(\s*)([#>+=-])")
_ORDERED_MARK = re.compile(r"^(\s*\d+)([.)])")
_LINK = re.compile(r"^https?://[^\s<>()\[\]]+$")


def _escape_line(line: str) -> str:
    line = _INLINE.sub(r"\\\1", line.rstrip())
    return _ORDERED_MARK.sub(r"\1\\\2", _BLOCK_MARK.sub(r"\1\\\2", line))


def escape_lines(text: str) -> list[str]:
    """``text`` as Markdown lines that show it as it is: a line followed by another ends in a hard
    break, a blank line stays a paragraph break."""
    lines = [_escape_line(line) for line in text.split("\n")]
    return [line + ("  " if line and i + 1 < len(lines) and lines[i + 1] else "") for i, line in enumerate(lines)]


def escape(text: str) -> str:
    return "\n".join(escape_lines(text))


def _link(url: str) -> str:
    return f"<{url}>" if _LINK.match(url) else escape(url)


def render_markdown(view: HandoutView) -> bytes:
    lines = [f"# {escape(' '.join(view.title.split()))}", ""]
    for item in view.items:
        lines += [f"## {escape(' '.join(item.heading.split()))}", ""]
        for quote in item.quotes:
            lines += [f"> {line}".rstrip() for line in escape_lines(f"“{quote.text}” [{quote.n}]")] + [""]
        if item.note:
            lines += [f"**Facilitator’s note:** {escape(item.note)}", ""]
    lines += ["## Sources", ""]
    for source in view.sources:
        fields = [f"{label}: {_link(value) if label == 'Link' else escape(value)}." for label, value in
                  source.entry.fields()]
        lines += [" ".join([f"\\[{source.n}\\] **{escape(source.entry.title)}.**", *fields]), ""]
    lines += ["## Credits", ""]
    for credit in view.credits:
        lines += [escape(credit), ""]
    if view.shortened:
        lines += [f"*{escape(SHORTENED_NOTICE)}*", ""]
    return "\n".join(lines).encode("utf-8")
