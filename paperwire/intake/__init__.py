"""Intake: sources configured in ``PAPERWIRE_CONFIG`` (``[[sources]]``), harvested on schedule,
incrementally and politely, with their state in the database and listing rules for the daily lists."""
