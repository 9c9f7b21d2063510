"""Papers: identifiers, the ingest-neutral record, storage (upserts), daily lists."""
