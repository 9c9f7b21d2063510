"""Settings, read once from the environment (and an optional TOML file).

Every setting is declared once in ``SETTINGS`` so that defaults, ``--help`` texts, the README and the
tests all read the same table: the ``Settings`` dataclass and ``load_settings`` take their defaults
from it too (``default``), never a second copy.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

from paperwire.errors import ConfigError

ENVIRONMENTS = ("development", "production")
# Settings built in code (tests, tools) sign with a strong key private to this process;
# load_settings always sets the configured one, or none (see paperwire.secret.resolve).
_PROCESS_SECRET = secrets.token_urlsafe(48)


@dataclass(frozen=True)
class Setting:
    name: str
    env: str
    default: str | None
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("home", "PAPERWIRE_HOME", "./paperwire-data", "data folder (database, search index)"),
    Setting(
        "database_url",
        "PAPERWIRE_DATABASE_URL",
        None,
        "SQLAlchemy URL; default an SQLite file in the home folder",
    ),
    Setting("smtp_url", "PAPERWIRE_SMTP_URL", None, "smtp://user:pass@host:port or smtps://..."),
    Setting("base_url", "PAPERWIRE_BASE_URL", "http://localhost:8000", "public URL"),
    Setting(
        "secret_key",
        "PAPERWIRE_SECRET_KEY",
        None,
        "signs links and CSRF tokens (32+ characters); default a generated PAPERWIRE_HOME/secret_key",
    ),
    Setting("env", "PAPERWIRE_ENV", "development", "development or production (any case)"),
    Setting("config_file", "PAPERWIRE_CONFIG", None, "optional TOML file with these settings"),
    Setting(
        "arxiv_api_url",
        "PAPERWIRE_ARXIV_API_URL",
        "https://export.arxiv.org/api/query",
        "arXiv API endpoint that submissions fetch metadata from",
    ),
    Setting(
        "submit_max_age_days",
        "PAPERWIRE_SUBMIT_MAX_AGE_DAYS",
        None,
        "members may submit only papers first published in the last N days (default: any age)",
    ),
    Setting(
        "today",
        "PAPERWIRE_TODAY",
        None,
        "a fixed date (YYYY-MM-DD) digest previews take as today (the demo: the day after its"
        " latest list); default the real date",
    ),
    Setting("community", "PAPERWIRE_COMMUNITY", "paperwire", "community named in the site header"),
    Setting(
        "api_rate_limit",
        "PAPERWIRE_API_RATE_LIMIT",
        "600",
        "JSON API requests per minute per client address, or per member when an API token is"
        " sent (0: no limit)",
    ),
    Setting(
        "max_api_tokens",
        "PAPERWIRE_MAX_API_TOKENS",
        "10",
        "live (unrevoked) API tokens a member may hold at once",
    ),
    Setting(
        "claim_rate_limit",
        "PAPERWIRE_CLAIM_RATE_LIMIT",
        "5",
        "authorship claims one member may make per hour (0: no limit)",
    ),
    Setting(
        "claims_per_member",
        "PAPERWIRE_CLAIMS_PER_MEMBER",
        "5",
        "authorship claims (waiting or approved) one member may hold at once (0: no cap)",
    ),
    Setting(
        "embedding_model",
        "PAPERWIRE_EMBEDDING_MODEL",
        "all-MiniLM-L6-v2",
        "search embeddings: all-MiniLM-L6-v2 (the shipped ONNX int8 runtime) or any"
        " sentence-transformers model name or local path",
    ),
    Setting(
        "smtp_ca_file",
        "PAPERWIRE_SMTP_CA_FILE",
        None,
        "PEM file of the CA(s) that sign the mail server's certificate, trusted instead of the"
        " system's (a private CA)",
    ),
    Setting(
        "db_lock_timeout",
        "PAPERWIRE_DB_LOCK_TIMEOUT",
        "30",
        "seconds a statement waits for another connection's lock before the request answers 503"
        " (SQLite busy timeout, PostgreSQL lock_timeout)",
    ),
    Setting(
        "trusted_proxies",
        "PAPERWIRE_TRUSTED_PROXIES",
        None,
        "addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed,"
        " comma-separated (default: none, the connecting address is the client)",
    ),
    Setting(
        "metrics_token",
        "PAPERWIRE_METRICS_TOKEN",
        None,
        "a secret (16+ characters) that lets a scraper read /metrics, sent as"
        " `Authorization: Bearer <token>` (Prometheus: `authorization: {credentials: ...}`)",
    ),
    Setting(
        "metrics_allow",
        "PAPERWIRE_METRICS_ALLOW",
        None,
        "addresses or networks that may read /metrics without the token, comma-separated"
        " (default: none; with neither setting /metrics answers 403 to everyone)",
    ),
    Setting(
        "contact",
        "PAPERWIRE_CONTACT",
        None,
        "the operator's e-mail or URL, sent in the User-Agent of every harvest so source operators"
        " can reach you",
    ),
    Setting(
        "index_poll",
        "PAPERWIRE_INDEX_POLL",
        "10",
        "seconds between a serving node's fallback checks for papers its search index lacks"
        " (a change wakes it at once: LISTEN/NOTIFY on PostgreSQL, data_version on SQLite)",
    ),
    Setting(
        "summary_url",
        "PAPERWIRE_SUMMARY_URL",
        None,
        "an OpenAI-compatible API (e.g. http://localhost:11434/v1) whose chat model writes the"
        " one-sentence summary of papers without one (default: off, the abstract's most central"
        " sentence is used)",
    ),
    Setting("summary_model", "PAPERWIRE_SUMMARY_MODEL", "gpt-4o-mini", "the summariser's model"),
    Setting(
        "summary_api_key", "PAPERWIRE_SUMMARY_API_KEY", None, "bearer token for the summariser"
    ),
    Setting(
        "fetch_allow_private",
        "PAPERWIRE_FETCH_ALLOW_PRIVATE",
        None,
        "loopback, private or link-local addresses or networks that harvests and submissions may"
        " reach, comma-separated (e.g. 10.0.0.5,127.0.0.1); default none: only public addresses,"
        " checked on every redirect and every DNS answer",
    ),
)
_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}


def default(name: str) -> str:
    """The default of a setting that has one, as written in ``SETTINGS``."""
    value = _DEFAULTS[name]
    if value is None:
        raise KeyError(f"the setting {name} has no default")
    return value


DEFAULT_LOCK_TIMEOUT = float(default("db_lock_timeout"))


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    smtp_url: str | None = None
    base_url: str = default("base_url")
    secret_key: str = _PROCESS_SECRET
    env: str = default("env")
    community: str = default("community")
    embedding_model: str = default("embedding_model")
    arxiv_api_url: str = default("arxiv_api_url")
    submit_max_age_days: int | None = None
    today: date | None = None
    api_rate_limit: int = int(default("api_rate_limit"))
    claim_rate_limit: int = int(default("claim_rate_limit"))
    claims_per_member: int = int(default("claims_per_member"))
    max_api_tokens: int = int(default("max_api_tokens"))
    smtp_ca_file: str | None = None
    db_lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    # where secret_key came from: PAPERWIRE_SECRET_KEY, the config file, the key file, or "unset"
    secret_source: str = "code"
    trusted_proxies: str = ""
    metrics_token: str | None = None
    metrics_allow: str = ""
    contact: str | None = None
    # the TOML file the settings (and the [[sources]] of paperwire.intake) were read from
    config_file: str | None = None
    index_poll: float = float(default("index_poll"))
    summary_url: str | None = None
    summary_model: str = default("summary_model")
    summary_api_key: str | None = None
    # networks a fetch may reach although not public (PAPERWIRE_FETCH_ALLOW_PRIVATE), comma-separated
    fetch_allow_private: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def _days(value: str | None, name: str) -> int | None:
    if value is None:
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise ConfigError(f"{name} must be a whole number of days (1 or more), not {value!r}")
    return int(value)


def _count(value: str, name: str, low: int, high: int) -> int:
    text = value.strip()
    if not re.fullmatch(r"[0-9]{1,9}", text) or not low <= int(text) <= high:
        raise ConfigError(f"{name} must be a whole number from {low} to {high}, not {value!r}")
    return int(text)


def _date(value: str | None, name: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a date such as 2026-06-10, not {value!r}") from None


def _seconds(value: str | None, name: str) -> float:
    try:
        seconds = float(value or "")
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 3600:
        raise ConfigError(f"{name} must be a number of seconds between 0 and 3600, not {value!r}")
    return seconds


def _environment(value: str | None) -> str:
    name = (value or "").strip().lower()
    if name not in ENVIRONMENTS:
        raise ConfigError(f"PAPERWIRE_ENV must be development or production, not {value!r}")
    return name


def _secret_source(env: dict[str, str], config_path: str | None, value: str | None) -> str:
    if not value:
        return "unset"
    return (
        "PAPERWIRE_SECRET_KEY"
        if env.get("PAPERWIRE_SECRET_KEY")
        else f"the config file {config_path}"
    )


def _networks(value: str | None, name: str) -> str:
    entries = [item.strip() for item in (value or "").split(",") if item.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                f"{name} must list IP addresses or networks (e.g."
                f" 127.0.0.1,10.0.0.0/8), not {entry!r}"
            ) from None
    return ",".join(entries)


def _http_url(value: str | None, name: str) -> str | None:
    """``value`` when it is an http(s) address with a host (or unset); else a ``ConfigError``."""
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name} must be an http:// or https:// address, not {value!r}")
    return value.strip()


# A metrics token shorter than this is a placeholder or guessable: refused at start-up.
METRICS_TOKEN_MIN = 16


def _metrics_token(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value.strip()) < METRICS_TOKEN_MIN:
        raise ConfigError(
            f"PAPERWIRE_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN} characters (e.g. the"
            " output of `paperwire secret`)"
        )
    return value.strip()


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment, then the optional config file, then defaults."""
    env = dict(os.environ if environ is None else environ)
    from_file: dict[str, object] = {}
    config_path = env.get("PAPERWIRE_CONFIG")
    if config_path:
        try:
            with open(config_path, "rb") as fh:
                from_file = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {config_path}: {exc}") from exc
    values: dict[str, str | None] = {}
    for setting in SETTINGS:
        raw = env.get(setting.env)
        if raw is None and setting.name in from_file:
            raw = str(from_file[setting.name])
        values[setting.name] = raw if raw not in (None, "") else setting.default

    def given(name: str) -> str:  # a setting with a default: never None here
        return values[name] or ""

    home = Path(given("home")).expanduser().resolve()
    database_url = values["database_url"] or f"sqlite:///{home / 'paperwire.db'}"
    try:
        api_rate_limit = int(given("api_rate_limit"))
    except ValueError:
        raise ConfigError(
            f"PAPERWIRE_API_RATE_LIMIT must be a whole number, not {values['api_rate_limit']!r}"
        ) from None
    return Settings(
        db_lock_timeout=_seconds(values["db_lock_timeout"], "PAPERWIRE_DB_LOCK_TIMEOUT"),
        home=home,
        api_rate_limit=api_rate_limit,
        claim_rate_limit=_count(
            given("claim_rate_limit"), "PAPERWIRE_CLAIM_RATE_LIMIT", 0, 1_000_000
        ),
        claims_per_member=_count(
            given("claims_per_member"), "PAPERWIRE_CLAIMS_PER_MEMBER", 0, 1_000_000
        ),
        max_api_tokens=_count(given("max_api_tokens"), "PAPERWIRE_MAX_API_TOKENS", 1, 1000),
        database_url=database_url,
        smtp_url=values["smtp_url"],
        base_url=given("base_url").rstrip("/"),
        secret_key=values["secret_key"] or "",
        secret_source=_secret_source(env, config_path, values["secret_key"]),
        env=_environment(values["env"]),
        embedding_model=given("embedding_model"),
        community=given("community"),
        arxiv_api_url=_http_url(given("arxiv_api_url"), "PAPERWIRE_ARXIV_API_URL") or "",
        trusted_proxies=_networks(values["trusted_proxies"], "PAPERWIRE_TRUSTED_PROXIES"),
        metrics_token=_metrics_token(values["metrics_token"]),
        metrics_allow=_networks(values["metrics_allow"], "PAPERWIRE_METRICS_ALLOW"),
        index_poll=_seconds(values["index_poll"], "PAPERWIRE_INDEX_POLL"),
        submit_max_age_days=_days(values["submit_max_age_days"], "PAPERWIRE_SUBMIT_MAX_AGE_DAYS"),
        today=_date(values["today"], "PAPERWIRE_TODAY"),
        smtp_ca_file=values["smtp_ca_file"],
        contact=values["contact"],
        config_file=config_path or None,
        summary_url=_http_url(values["summary_url"], "PAPERWIRE_SUMMARY_URL"),
        summary_model=given("summary_model"),
        summary_api_key=values["summary_api_key"],
        fetch_allow_private=_networks(
            values["fetch_allow_private"], "PAPERWIRE_FETCH_ALLOW_PRIVATE"
        ),
        extra={k: v for k, v in from_file.items() if k not in {s.name for s in SETTINGS}},
    )
