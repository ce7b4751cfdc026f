"""SCORE Assistant: cited answers from ILO SCORE publications for SCORE trainers."""

__version__ = "0.1.0"
