"""Ingest: one module per source, each turning input into ``PaperRecord``s or ``Rejection``s.

``runner.run_ingest`` stores them in batches that each commit on their own, so a killed run can be
rerun safely: upserts are idempotent.
"""
