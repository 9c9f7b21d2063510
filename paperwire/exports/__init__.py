"""Exports of papers and lists: BibTeX (``bibtex``) and JSON lines (``jsonl``)."""
