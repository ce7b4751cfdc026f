"""Attribution: whether a document may be exported, its credit line and its entries in a sources list.

Owns the licence rule of every export: a document may be exported when the catalog says ``reuse =
true`` and names its licence, or, when the catalog says nothing, when its licence is a known open one
(Creative Commons BY, BY-SA, CC0). A document with no licence, with ``reuse = false``, or missing from
the index is refused with ``ExportRefused`` naming it. The credit line is the catalog's
``attribution`` (or one made from title, publisher and year), the licence with its link, and the
document's link; exports that shortened a quote say so (CC BY asks to indicate changes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from assistant.models import DocumentMeta, Excerpt
from assistant.qa.citations import location, section_label

SHORTENED_NOTICE = (
    "Quotes marked “…” were shortened: words were left out where “…” stands. Nothing else was changed."
)
# "CC BY 4.0", "CC-BY-SA-3.0 IGO", "Creative Commons Attribution 4.0 International", "CC0 1.0".
_CC = re.compile(
    r"^(?:cc[\s-]*(?P<kind>by(?:[\s-]*sa)?)|creative commons attribution(?P<sa>[\s-]*share[\s-]*alike)?)"
    r"[\s-]*(?P<version>\d\.\d)?(?P<igo>[\s-]*igo)?(?:[\s-]*international)?(?:[\s-]*licen[cs]e)?$",
    re.IGNORECASE,
)
_CC0 = re.compile(r"^cc[\s-]*0(?:[\s-]*1\.0)?(?:[\s-]*universal)?$", re.IGNORECASE)


_PLACE_LABELS = {"p.": "Page", "pp.": "Pages", "line": "Line", "lines": "Lines"}


class ExportRefused(Exception):
    """Documents whose licence does not allow an export; the message names each one and why."""

    def __init__(self, reasons: Mapping[str, str]) -> None:
        self.reasons = dict(reasons)
        listed = "; ".join(f"{name}: {why}" for name, why in self.reasons.items())
        super().__init__(f"export refused — {listed}")


def licence_url(licence: str | None) -> str | None:
    """The licence's deed on creativecommons.org for a Creative Commons licence, else None."""
    text = (licence or "").strip()
    if _CC0.match(text):
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    match = _CC.match(text)
    if match is None:
        return None
    kind = "by-sa" if match.group("sa") or "sa" in (match.group("kind") or "").lower() else "by"
    version = match.group("version") or "4.0"
    return f"https://creativecommons.org/licenses/{kind}/{version}/" + ("igo/" if match.group("igo") else "")


def is_open_licence(licence: str | None) -> bool:
    return licence_url(licence) is not None


def refusal(meta: DocumentMeta) -> str | None:
    """Why this document may not be exported, or None when it may."""
    if meta.reuse is False:
        return "the catalog says its passages may not be reused (reuse = false)"
    if not (meta.license or "").strip():
        return "its licence is unknown (no licence in the catalog)"
    if meta.reuse is None and not is_open_licence(meta.license):
        return (f"its licence ({meta.license}) is not a known open licence; set reuse = true in the catalog "
                "if it allows reuse")
    return None


def check_reuse(doc_ids: Iterable[str], documents: Mapping[str, DocumentMeta]) -> None:
    """Raise ExportRefused naming every document of ``doc_ids`` that may not be exported."""
    reasons: dict[str, str] = {}
    for doc_id in dict.fromkeys(doc_ids):
        meta = documents.get(doc_id)
        if meta is None:
            reasons[doc_id] = "the document is not in the index, so its licence is unknown"
        elif (why := refusal(meta)) is not None:
            reasons[f"“{meta.title}” ({doc_id})"] = why
    if reasons:
        raise ExportRefused(reasons)


def _year(meta: DocumentMeta) -> str | None:
    return meta.period or (str(meta.year) if meta.year else None)


def licence_text(meta: DocumentMeta) -> str:
    """'CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/)', or the licence alone."""
    url = licence_url(meta.license)
    return f"{meta.license} ({url})" if url else str(meta.license)


def credit_line(meta: DocumentMeta) -> str:
    """The credit line an export carries for a document: its attribution, licence and link."""
    if meta.attribution:
        credit = meta.attribution.strip()
    else:
        made = ", ".join(part for part in (meta.publisher, _year(meta)) if part)
        credit = f"{meta.title}" + (f", {made}." if made else ".")
    credit = credit if credit.endswith((".", "!", "?")) else credit + "."
    credit += f" Licensed under {licence_text(meta)}."
    return credit + (f" Available at {meta.url}" if meta.url else "")


@dataclass(frozen=True)
class SourceEntry:
    """One entry of a sources list: where a quote comes from, field by field."""

    title: str
    publisher: str | None
    year: str | None
    section: str
    place: str  # 'p. 4', 'lines 120–131' or ''
    licence: str
    link: str | None

    def fields(self) -> list[tuple[str, str]]:
        """(label, value) pairs for the fields that have a value, in reading order."""
        kind, _, where = self.place.partition(" ")
        pairs = [
            ("Author/publisher", self.publisher), ("Year", self.year), ("Section", self.section),
            (_PLACE_LABELS.get(kind, "Place"), where), ("Licence", self.licence), ("Link", self.link),
        ]
        return [(label, value) for label, value in pairs if value]

    def line(self) -> str:
        """'Title. Author/publisher: … Year: … Section: … Lines: … Licence: … Link: …'."""
        return " ".join([f"{self.title}."] + [f"{label}: {value}." for label, value in self.fields()])

    def short(self) -> str:
        """'Title, section, lines 1–2' for a footer."""
        return ", ".join(part for part in (self.title, self.section, self.place) if part)


def source_entry(meta: DocumentMeta, excerpt: Excerpt) -> SourceEntry:
    return SourceEntry(
        title=meta.title,
        publisher=meta.publisher,
        year=_year(meta),
        section=section_label(excerpt.heading_path, keep=len(excerpt.heading_path)),
        place=location(excerpt.page_start, excerpt.page_end, excerpt.line_start, excerpt.line_end),
        licence=licence_text(meta),
        link=meta.url,
    )
