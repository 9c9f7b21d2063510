"""The members' community: comments on papers, moderation (hiding comments and papers),
collections and saved searches."""
