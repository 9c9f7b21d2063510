"""Atom feeds of paper lists (the daily list, trending, a search, a collection), and conditional
GET answers (ETag / Last-Modified, 304) for them and for exports."""
