"""Evaluation reports: building report.json, provenance, comparing runs, files on disk, listing, HTML and charts."""
