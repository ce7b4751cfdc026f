"""Builders of small real test documents: a Markdown annual update with messy headings and PDFs."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fpdf import FPDF

from assistant.db.engine import Database

SMALL_UPDATE = """\
# Mini SCORE Update 2030

## ► Updates at the Global Level

### Trainer webinar on marketing

Trainers shared tips for convincing owners: show results from other enterprises and use social media.
The webinar was held on 3 March 2030 with 40 participants.

## ► Highlights and Success Stories

### Africa

#### Egypt

##### Better grievance handling for women

Women employees were assigned to handle complaints from female workers in 6 garment factories.
An anonymous grievance box was installed in every factory.

#### ► Photo caption: suggestion box in a factory

## Ghana

### Recycling enterprises first

Priority went to waste management and recycling businesses; 120 SMEs completed the Workplace Cooperation module.

## Asia

### Myanmar

#### Trainers sell SCORE without donors

After donor funding ended, 25 enterprises fully covered the training cost themselves.
A free online orientation session attracted new clients.

## 2. The Ministry of Industry

The Ministry of Industry in Myanmar co-financed OSH training for 14 food processing SMEs.

## Latin America

### Peru

#### A lead buyer pays for its suppliers

A lead buyer financed the whole intervention for 30 of its small suppliers, with a focus on Quality Management.
Sawdust sales brought USD 4,100 of extra income.
"""

SMALL_CATALOG = """\
["mini-update.md"]
title = "Mini SCORE Update 2030"
kind = "annual_update"
period = "2030"
language = "en"
publisher = "International Labour Organization"
license = "CC BY 4.0"
attribution = "ILO, Mini SCORE Update 2030 (test fixture). CC BY 4.0."
"""

MANUAL_PAGES: list[tuple[str, list[str]]] = [
    (
        "1. Introduction to the Energy Module",
        [
            "This manual explains how small enterprises can cut their energy bills.",
            "Trainers start with a walk-through of the factory to find leaks of compressed air.",
        ],
    ),
    (
        "2. Measuring Electricity Use",
        [
            "Install a sub-meter on each production line and read it every Friday afternoon.",
            "Compare the weekly readings with the output of the line to find waste.",
        ],
    ),
    (
        "3. Kenya Case Study",
        [
            "A bakery in Nairobi replaced its oven seals and saved 18 percent of its electricity.",
            "The owner now trains other bakers in the same district.",
        ],
    ),
]


def write_pdf(path: Path, pages: list[tuple[str, list[str]]], title: str | None = None) -> Path:
    """A real PDF with one heading and a few paragraphs per page."""
    pdf = FPDF()
    if title:
        pdf.set_title(title)
    for heading, paragraphs in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(0, 10, heading)
        pdf.ln(4)
        pdf.set_font("Helvetica", size=11)
        for paragraph in paragraphs:
            pdf.multi_cell(0, 6, paragraph)
            pdf.ln(3)
    pdf.output(str(path))
    return path


def write_blank_pdf(path: Path, pages: int = 2) -> Path:
    """A PDF with pages but no text layer, as a scan without OCR looks to a text extractor."""
    pdf = FPDF()
    for _ in range(pages):
        pdf.add_page()
        pdf.set_fill_color(200, 200, 200)
        pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def write_encrypted_pdf(path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    plain = write_pdf(path.with_suffix(".plain.pdf"), MANUAL_PAGES[:1])
    writer = PdfWriter()
    for page in PdfReader(plain).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner")
    with path.open("wb") as handle:
        writer.write(handle)
    plain.unlink()
    return path


def write_small_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "mini-update.md").write_text(SMALL_UPDATE, encoding="utf-8")
    (folder / "catalog.toml").write_text(SMALL_CATALOG, encoding="utf-8")
    write_pdf(folder / "energy-manual.pdf", MANUAL_PAGES, title="SCORE Energy Manual")
    return folder


# A field report laid out as a publisher would: headings differ from body text only by size and weight,
# a running header and "Page N of M" footer on every page. Blocks: ("h1" | "h2" | "bold" | "p", text).
REPORT_HEADER = "SCORE Field Report 2030 - internal draft"
REPORT_PAGES: list[list[tuple[str, str]]] = [
    [
        ("h1", "Highlights and Success Stories"),
        ("h2", "Ghana"),
        ("p", "Priority went to waste management and recycling businesses in Kumasi and Accra."),
        ("bold", "Recycling enterprises first"),
        ("p", "One hundred and twenty SMEs completed the Workplace Cooperation module in 2030."),
    ],
    [
        (
            "h2",
            "Peru: a lead buyer in the textile supply chain pays for the training of all its small suppliers",
        ),
        (
            "p",
            "A lead buyer financed the whole intervention for 30 of its small suppliers, with a focus on the "
            "Quality Management module and on the suppliers' own improvement teams.",
        ),
        (
            "p",
            "Sawdust sales brought USD 4,100 of extra income to one furniture workshop, which now sorts its "
            "offcuts by size and sells them to a briquette maker in the same district.",
        ),
    ],
    [
        ("h1", "Lessons Learned"),
        ("p", "Owners are convinced by results from other enterprises in their own sector."),
        ("bold", "Keep the groups small"),
        ("p", "Trainers found that groups of five enterprises kept every owner involved."),
    ],
    [
        ("h2", "Myanmar"),
        ("p", "After donor funding ended, 25 enterprises fully covered the training cost themselves."),
        ("p", "A free online orientation session attracted new clients to the trainers."),
    ],
]


def write_report_pdf(path: Path, pages: list[list[tuple[str, str]]], header: str = REPORT_HEADER) -> Path:
    """A real PDF with typographic headings (18pt and 14pt bold, 11pt bold), body text in 11pt,
    a running header and a page-number footer on every page."""

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, header, new_x="LMARGIN", new_y="NEXT")
            self.ln(4)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("Helvetica", size=8)
            self.cell(0, 10, f"Page {self.page_no()} of {{nb}}", align="C")

    styles = {"h1": ("B", 18, 10), "h2": ("B", 14, 8), "bold": ("B", 11, 6), "p": ("", 11, 6)}
    pdf = Report()
    for blocks in pages:
        pdf.add_page()
        for kind, text in blocks:
            style, size, height = styles[kind]
            pdf.set_font("Helvetica", style, size)
            pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(3 if kind == "p" else 2)
    pdf.output(str(path))
    return path


def write_plain_pdf(path: Path, lines: list[str]) -> Path:
    """A real PDF set in one font, size and weight: its typography tells no heading from body text."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Courier", size=11)
    for line in lines:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def database_with_accounts(
    folder: Path, people: Mapping[str, str], password: str
) -> tuple[str, Database, dict[str, int]]:
    """A migrated SQLite app database in ``folder`` holding an account per email → role; its URL,
    the database (the caller disposes of it) and the account ids by email."""
    from assistant.db.accounts_store import AccountsStore
    from assistant.db.audit import Actor

    url = f"sqlite:///{folder / 'app.sqlite'}"
    database = Database(url)
    database.migrate()
    accounts = AccountsStore(database)
    ids = {email: accounts.add_user(email, role, password, Actor("test")).id for email, role in people.items()}
    return url, database, ids
