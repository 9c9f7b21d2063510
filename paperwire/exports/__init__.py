"""Exports of papers and lists: BibTeX (``bibtex``). JSON lines, in the API's shape, live with the API
(``web.api.jsonl``)."""
