"""The members' community: comments on papers and moderation (hiding comments and papers)."""
