"""The SCORE vocabulary: the modules (with the aliases trainers use: OSH, HoCo…) and the topics.

Owns recognising modules and topics in a text and the lookup of a user's module name to its
canonical form. Ingest tags chunks with it (``ingest.tagging``); search and qa read questions with it.
"""

from __future__ import annotations

import re

# Canonical module name -> patterns (case-insensitive) that mention it.
MODULES: dict[str, tuple[str, ...]] = {
    "Workplace Cooperation": (r"workplace cooperation",),
    "Quality Management": (r"quality management",),
    "Occupational Safety and Health": (r"\bOSH\b", r"occupational safety and health"),
    "SCORE4Climate": (r"score4climate", r"resource efficiency and cleaner production", r"\bRECP\b"),
    "Gender Equality": (r"gender equality module",),
    "Hospitality Coaching (HoCo)": (r"\bhoco\b", r"hospitality coaching"),
    "SCORE Basics": (r"score basics",),
    "Responsible Business": (r"responsible business",),
    "Lean": (r"\blean (?:manufacturing|module|production)\b", r"\bscore lean\b"),
    "Human Resources Management": (r"human resources? management",),
    "COVID-19 Safety and Health": (r"covid-19 safety and health",),
}

MODULE_ALIASES: dict[str, str] = {
    "osh": "Occupational Safety and Health",
    "hoco": "Hospitality Coaching (HoCo)",
    "hospitality coaching": "Hospitality Coaching (HoCo)",
    "hrm": "Human Resources Management",
    "human resources": "Human Resources Management",
    "quality": "Quality Management",
    "wc": "Workplace Cooperation",
    "climate": "SCORE4Climate",
    "recp": "SCORE4Climate",
    "gender": "Gender Equality",
    "basics": "SCORE Basics",
}

TOPICS: dict[str, tuple[str, ...]] = {
    "financing and cost recovery": (
        r"cost recovery", r"covered the training cost", r"\bfinanc", r"\bfunded by\b", r"\bbudget\b",
        r"\bsubsid", r"paid for", r"\bfee",
    ),
    "gender equality": (r"\bgender\b", r"\bwomen\b", r"\bfemale\b", r"harassment"),
    "environment and climate": (r"\bclimate\b", r"\bgreen", r"circular", r"\benergy\b", r"\bwaste\b"),
    "safety and health": (r"\bsafety\b", r"\bOSH\b", r"protective equipment", r"\bhazard"),
    "productivity and quality": (r"productivity", r"\bdefect", r"\b5S\b", r"\bquality\b", r"cost savings?"),
    "trainer development": (r"training of trainers", r"\bToT\b", r"certified", r"expert trainer"),
    "marketing and promotion": (r"\bmarketing\b", r"\bpromot", r"social media", r"\bconvinc"),
    "partnerships and institutions": (r"\bministry\b", r"\bMoU\b", r"agreement", r"implementation partner"),
    "lead buyers and supply chains": (r"lead buyer", r"\bbrands?\b", r"\bsuppliers?\b"),
}

_MODULE_RE = {name: re.compile("|".join(pats), re.IGNORECASE) for name, pats in MODULES.items()}
_TOPIC_RE = {name: re.compile("|".join(pats), re.IGNORECASE) for name, pats in TOPICS.items()}


def modules_in(text: str) -> list[str]:
    """The SCORE modules a text mentions, in the canonical order of MODULES."""
    return [name for name, pattern in _MODULE_RE.items() if pattern.search(text)]


def topics_in(text: str) -> list[str]:
    """The topics a text touches, in the order of TOPICS."""
    return [name for name, pattern in _TOPIC_RE.items() if pattern.search(text)]


def canonical_module(name: str) -> str | None:
    """The canonical module for a user's spelling ('osh', 'HoCo', 'workplace cooperation'), or None."""
    key = name.strip().lower()
    for canonical in MODULES:
        if canonical.lower() == key:
            return canonical
    return MODULE_ALIASES.get(key)
