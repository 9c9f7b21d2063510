"""Table models for every domain. Migrations under ``migrations/`` must match these (a test checks).

Authors, categories and links are ordered JSON lists on the paper row: they are always read and written
with the paper, and one row per paper keeps bulk ingest fast.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Paper(Base):
    __tablename__ = "papers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    arxiv_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    version: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    abstract: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    primary_category: Mapped[str | None] = mapped_column(String(32), index=True)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    published_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)
    doi: Mapped[str | None] = mapped_column(String(255))
    journal_ref: Mapped[str | None] = mapped_column(Text)
    comments: Mapped[str | None] = mapped_column(Text)
    links: Mapped[list[Any]] = mapped_column(JSON, default=list)
    extras: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    sources: Mapped[list[Any]] = mapped_column(JSON, default=list)
    upvotes_baseline: Mapped[int] = mapped_column(Integer, default=0)
    vote_count: Mapped[int] = mapped_column(Integer, default=0)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    modified_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class DailyEntry(Base):
    """A paper's place in the daily list of one date (at most one per paper)."""

    __tablename__ = "daily_entries"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    list_date: Mapped[date] = mapped_column(Date, index=True)
    submitted_at: Mapped[datetime] = mapped_column(DateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    submitter_name: Mapped[str | None] = mapped_column(String(255))
    submitter_info: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source: Mapped[str] = mapped_column(String(32))
    imported_comments: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    # None until the owner of the address followed a link mailed to it (accounts made before 0005).
    email_verified_at: Mapped[datetime | None] = mapped_column(DateTime)


class LoginSession(Base):
    """A signed-in browser. Only the SHA-256 of the cookie is stored; signing out deletes the row."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Vote(Base):
    __tablename__ = "votes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # The comment this one answers (one level: a reply to a reply is stored under its top comment).
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comments.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    hidden: Mapped[bool] = mapped_column(Boolean, default=False)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    edited_at: Mapped[datetime | None] = mapped_column(DateTime)


class IngestCursor(Base):
    """Where a resumable source (OAI-PMH, arXiv API paging) got to, so a rerun continues."""

    __tablename__ = "ingest_cursors"
    __table_args__ = (UniqueConstraint("source", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(512))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("owner_id", "slug"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class CollectionItem(Base):
    __tablename__ = "collection_items"

    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    note: Mapped[str] = mapped_column(Text, default="")
    added_at: Mapped[datetime] = mapped_column(DateTime)


class SavedSearch(Base):
    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ApiToken(Base):
    """A personal API token; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)


class Signal(Base):
    """A member's own steer of their "For you" feed (``recommend/``): ``more_like_this`` or
    ``not_interested`` on a paper, a ``topic`` in words, an ``imported`` reference (a paper, or
    only its text when it matched none), or ``muted``: a signal from elsewhere (an upvote, a
    collection, a saved search; ``ref`` names it) that the feed should no longer use."""

    __tablename__ = "signals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    paper_id: Mapped[str | None] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    ref: Mapped[str | None] = mapped_column(String(300))
    # The text's embedding when it was made ({"model": name, "vector": [...]}), so a feed request
    # runs no model for topics and imported abstracts; another model embeds the text again.
    embedding: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class FeedSecret(Base):
    """The secret of a member's private "For you" Atom feed; only its SHA-256 is stored."""

    __tablename__ = "feed_secrets"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class Subscription(Base):
    """A digest subscription; ``status`` is pending until the address is confirmed."""

    __tablename__ = "subscriptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    frequency: Mapped[str] = mapped_column(String(16), default="daily")
    topics: Mapped[list[Any]] = mapped_column(JSON, default=list)
    categories: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    skip_empty: Mapped[bool] = mapped_column(Boolean, default=False)
    link_version: Mapped[int] = mapped_column(Integer, default=1)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class DigestDelivery(Base):
    """One digest of one period for one subscription: claimed once, sent at most once."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("subscription_id", "period"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True
    )
    period: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    message_id: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)


class DigestItem(Base):
    """A paper already sent to a subscriber, so no digest sends it twice."""

    __tablename__ = "digest_items"

    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    period: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[datetime] = mapped_column(DateTime)


class JobLock(Base):
    """A lease on a scheduled job, so several workers never run the same job at once."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    acquired_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)


class PaperEmbedding(Base):
    """A paper's embedding by one model build, computed once for every node (``search/embeddings``).

    ``text_hash`` is the title and abstract it was computed from; ``content_hash`` the paper's at the
    last check, so only papers whose content changed since are looked at again."""

    __tablename__ = "paper_embeddings"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    model: Mapped[str] = mapped_column(String(255), primary_key=True)
    text_hash: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(40))
    dim: Mapped[int] = mapped_column(Integer)
    # float32 little-endian, ``dim`` numbers.
    vector: Mapped[bytes] = mapped_column(LargeBinary)
    computed_at: Mapped[datetime] = mapped_column(DateTime)


class PaperChange(Base):
    """The change log every node's search index follows: one row per paper inserted, deleted, whose
    content or visibility changed, or that got a new embedding. Written by database triggers (see
    migration 0007), so every writer is covered; ``seq`` only grows."""

    __tablename__ = "paper_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    paper_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(DateTime, index=True)


class InstanceSetting(Base):
    """Facts about this database itself; ``database_id`` (random, made once) lets a search index
    tell the database it was built from."""

    __tablename__ = "instance"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class RateLimitHit(Base):
    """Fixed-window counters shared by every server process."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class IntakeSource(Base):
    """A harvest source's live configuration and state (``paperwire.intake``): its table as the
    file gave it or an admin edited it (``config``; None for a source known only by its state),
    whether it is paused or was deleted by an admin (kept so the file does not bring it back), its
    cursor, its lease (one harvest of a source at a time), its last run and last error, and
    running totals."""

    __tablename__ = "intake_sources"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    config: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    paused: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime)
    cursor: Mapped[str | None] = mapped_column(String(64))
    lease_holder: Mapped[str | None] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    run_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_success_at: Mapped[datetime | None] = mapped_column(DateTime)
    next_run_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_status: Mapped[str | None] = mapped_column(String(16))
    last_summary: Mapped[str | None] = mapped_column(Text)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_url: Mapped[str | None] = mapped_column(Text)
    problems: Mapped[list[Any]] = mapped_column(JSON, default=list)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    rejected: Mapped[int] = mapped_column(Integer, default=0)
    listed: Mapped[int] = mapped_column(Integer, default=0)
    # Runs that ended failed (an error or an interruption), for /metrics.
    errors: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class IntakeCandidate(Base):
    """A harvested paper that passes its source's listing rule, for the daily list of ``list_date``;
    the best ``max_per_day`` of a source's candidates of a day are listed."""

    __tablename__ = "intake_candidates"

    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    list_date: Mapped[date] = mapped_column(Date)
    score: Mapped[float] = mapped_column(Float, default=0.0)


Index("ix_intake_candidates_source_date", IntakeCandidate.source, IntakeCandidate.list_date)
Index("ix_daily_entries_date_submitted", DailyEntry.list_date, DailyEntry.submitted_at)
# Trending reads the newest submissions (its window, and the latest one when nothing is recent);
# the API filters daily lists by submitter.
Index("ix_daily_entries_submitted_at", DailyEntry.submitted_at)
Index("ix_daily_entries_submitter_name", DailyEntry.submitter_name)
# The hidden papers alone (few): the whole archive's pages count them per date. Partial, so no
# query for visible papers (nearly all of them) is ever planned through it.
Index(
    "ix_papers_hidden",
    Paper.id,
    sqlite_where=text("hidden = 1"),
    postgresql_where=text("hidden"),
)


class PaperAuthor(Base):
    """One author of one paper, with the normalised name form that author pages group by.

    Derived from ``papers.authors`` by ``authors/index.sync_authors`` (``content_hash`` says which
    version of the paper the rows were made from); ``claimed_by_id`` is set for the forms of an
    approved claim, so the read model reports a claimed author without clustering names."""

    __tablename__ = "paper_authors"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    form: Mapped[str] = mapped_column(String(255), index=True)
    family: Mapped[str] = mapped_column(String(128), index=True)
    content_hash: Mapped[str] = mapped_column(String(40))
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class AuthorClaim(Base):
    """A member's request to be linked to an author page; a moderator approves or refuses it."""

    __tablename__ = "author_claims"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    slug: Mapped[str] = mapped_column(String(255), index=True)
    forms: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class Follow(Base):
    """A member follows an author (by slug), a category or a keyphrase."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("user_id", "kind", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class PaperEnrichment(Base):
    """Keyphrases and a one-sentence summary paperwire computed for a paper lacking them from its
    source (``summary_origin``: ``extracted`` or ``llm``)."""

    __tablename__ = "paper_enrichments"

    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True
    )
    keyphrases: Mapped[list[Any]] = mapped_column(JSON, default=list)
    summary: Mapped[str | None] = mapped_column(Text)
    summary_origin: Mapped[str] = mapped_column(String(16), default="extracted")
    model: Mapped[str] = mapped_column(String(128))
    content_hash: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(DateTime)


class Note(Base):
    """A member's private Markdown note on a paper (one per member and paper), its HTML rendered
    and sanitised once at write time as comments are."""

    __tablename__ = "notes"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    body: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class ReadMark(Base):
    """A paper a member marked read (private to them)."""

    __tablename__ = "read_marks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    paper_id: Mapped[str] = mapped_column(
        ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    read_at: Mapped[datetime] = mapped_column(DateTime)
