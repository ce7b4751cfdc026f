"""Print a Markdown file to PDF the way a publisher's PDF looks to a text extractor.

Owns: Markdown → HTML (markdown-it-py, CommonMark plus its built-in table rule) with plain CSS where
headings are only larger, bold text, and HTML → PDF with headless Chromium. Chromium's default
header and footer (date, title, file URL, page numbers) are kept on purpose: real PDFs carry running
headers, footers and page numbers, and the PDF loader must drop them. No network is needed.

Usage: python eval/tools/markdown_to_pdf.py IN.md OUT.pdf
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from markdown_it import MarkdownIt

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")

# Headings differ from body text by size and weight only, as in a typeset report.
CSS = """
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 11pt; line-height: 1.35; margin: 0; }
h1, h2, h3, h4, h5, h6 { font-weight: bold; margin: 1.1em 0 0.4em; }
h1 { font-size: 22pt; } h2 { font-size: 18pt; } h3 { font-size: 15pt; }
h4 { font-size: 13pt; } h5 { font-size: 12pt; } h6 { font-size: 11pt; }
p, li, td, th { font-size: 11pt; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 2pt 4pt; }
"""


class ChromiumMissing(RuntimeError):
    """No Chromium to print with."""


def find_chromium() -> str:
    for candidate in CHROMIUM_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise ChromiumMissing(
        "Chromium is needed to print HTML to PDF and was not found "
        f"(looked for {', '.join(CHROMIUM_CANDIDATES)}); install it, e.g. `apt-get install chromium`"
    )


def markdown_to_html(text: str, title: str) -> str:
    # "table" is a built-in rule of markdown-it-py that the commonmark preset leaves off: no new dependency.
    body = MarkdownIt("commonmark").enable("table").render(text)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    )


def _title_of(text: str, fallback: str) -> str:
    match = re.search(r"^#\s+(.+?)\s*#*\s*$", text, flags=re.MULTILINE)
    return re.sub(r"^[►▶\s]+", "", match.group(1)) if match else fallback


def markdown_to_pdf(md_path: Path | str, pdf_path: Path | str, timeout: float = 120.0) -> Path:
    """Render ``md_path`` to a PDF at ``pdf_path`` and return that path."""
    md_path, pdf_path = Path(md_path), Path(pdf_path).resolve()
    chromium = find_chromium()
    text = md_path.read_text(encoding="utf-8")
    pdf_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="md2pdf-") as work:
        page = Path(work) / f"{md_path.stem}.html"
        page.write_text(markdown_to_html(text, _title_of(text, md_path.stem)), encoding="utf-8")
        command = [
            chromium, "--headless", "--no-sandbox", "--disable-gpu",
            # A private profile: other Chromium processes on the machine must not share its lock.
            f"--user-data-dir={Path(work) / 'profile'}",
            "--no-first-run", "--disable-extensions", "--disable-background-networking",
            f"--print-to-pdf={pdf_path}", page.as_uri(),
        ]
        if pdf_path.exists():
            pdf_path.unlink()
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
    if not pdf_path.is_file() or pdf_path.stat().st_size == 0:
        raise RuntimeError(f"Chromium did not write {pdf_path} (exit {done.returncode}): {done.stderr.strip()[-800:]}")
    return pdf_path


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    try:
        out = markdown_to_pdf(argv[0], argv[1])
    except ChromiumMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
