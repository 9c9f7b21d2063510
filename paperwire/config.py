"""Settings, read once from the environment (and an optional TOML file).

Every setting is declared once in ``SETTINGS`` so that defaults, ``--help`` texts, the README and the
tests all read the same table: the ``Settings`` dataclass and ``load_settings`` take their defaults
from it too (``default``), never a second copy.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

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
        "JSON API requests per minute per client or token (0: no limit)",
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
    smtp_ca_file: str | None = None
    db_lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    # where secret_key came from: PAPERWIRE_SECRET_KEY, the config file, the key file, or "unset"
    secret_source: str = "code"
    trusted_proxies: str = ""
    contact: str | None = None
    # the TOML file the settings (and the [[sources]] of paperwire.intake) were read from
    config_file: str | None = None
    index_poll: float = float(default("index_poll"))
    summary_url: str | None = None
    summary_model: str = default("summary_model")
    summary_api_key: str | None = None
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


def _proxies(value: str | None) -> str:
    entries = [item.strip() for item in (value or "").split(",") if item.strip()]
    for entry in entries:
        try:
            ipaddress.ip_network(entry, strict=False)
        except ValueError:
            raise ConfigError(
                "PAPERWIRE_TRUSTED_PROXIES must list IP addresses or networks (e.g."
                f" 127.0.0.1,10.0.0.0/8), not {entry!r}"
            ) from None
    return ",".join(entries)


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
        database_url=database_url,
        smtp_url=values["smtp_url"],
        base_url=given("base_url").rstrip("/"),
        secret_key=values["secret_key"] or "",
        secret_source=_secret_source(env, config_path, values["secret_key"]),
        env=_environment(values["env"]),
        embedding_model=given("embedding_model"),
        community=given("community"),
        arxiv_api_url=given("arxiv_api_url"),
        trusted_proxies=_proxies(values["trusted_proxies"]),
        index_poll=_seconds(values["index_poll"], "PAPERWIRE_INDEX_POLL"),
        submit_max_age_days=_days(values["submit_max_age_days"], "PAPERWIRE_SUBMIT_MAX_AGE_DAYS"),
        today=_date(values["today"], "PAPERWIRE_TODAY"),
        smtp_ca_file=values["smtp_ca_file"],
        contact=values["contact"],
        config_file=config_path or None,
        summary_url=values["summary_url"],
        summary_model=given("summary_model"),
        summary_api_key=values["summary_api_key"],
        extra={k: v for k, v in from_file.items() if k not in {s.name for s in SETTINGS}},
    )
