"""The database seam: engine and sessions, table models, migrations."""
