"""A harvest source's configuration: a table of ``[[sources]]`` in the TOML file named by
``PAPERWIRE_CONFIG`` (checked once at start-up), or the same table as stored in the database and
edited at ``/admin/sources`` (``paperwire.intake.sources``). One parser checks both.

Unknown keys, bad durations, dates or times, a ``kind`` that does not exist, a ``match`` that does
not parse, a ``base_url`` that is not http(s) (``file:``, ``javascript:`` ...): each is refused with where it came from (the file), the source's name and the key
(``ConfigError``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

from paperwire.config import Settings
from paperwire.errors import ConfigError, SourceNotFound
from paperwire.ingest import arxiv_api, hf, oai
from paperwire.ingest.outbound import FetchRefused, check_scheme
from paperwire.search.query import ParsedQuery, parse_query

KINDS = {
    "oai": oai.DEFAULT_BASE_URL,
    "arxiv": arxiv_api.DEFAULT_BASE_URL,
    "hf": hf.DEFAULT_BASE_URL,
}
LIST_RULES = ("none", "all", "match")
# arXiv asks for 3 s between requests; Hugging Face states no figure, 1 s is gentle.
DEFAULT_MIN_INTERVAL = {"oai": 3.0, "arxiv": 3.0, "hf": 1.0}
DEFAULT_EVERY = timedelta(hours=6)
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
# Bounds that keep every number a form or file gives within what timedelta, the database and
# the harvest loop can hold (a "9999...9d" interval was an OverflowError, a 500 on the admin form).
MAX_DURATION = 366 * 86400.0
MAX_PER_DAY = 1_000_000
_AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
# Every key of a source's table, in the order a form shows them.
FORM_KEYS = (
    "name",
    "kind",
    "base_url",
    "set",
    "format",
    "query",
    "categories",
    "since",
    "every",
    "at",
    "min_interval",
    "timeout",
    "retries",
    "backoff",
    "list",
    "match",
    "max_per_day",
)
KEYS = set(FORM_KEYS)


@dataclass(frozen=True)
class SourceConfig:
    name: str
    kind: str
    base_url: str
    set_spec: str | None = None
    metadata_prefix: str = "arXiv"
    query: str | None = None
    categories: tuple[str, ...] = ()
    since: date | None = None
    every: timedelta | None = DEFAULT_EVERY
    at: time | None = None
    min_interval: float = 3.0
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 2.0
    list_rule: str = "none"
    match: tuple[str, ...] = ()
    max_per_day: int | None = None
    queries: tuple[ParsedQuery, ...] = field(default=(), compare=False, repr=False)

    @property
    def schedule(self) -> str:
        if self.at is not None:
            return f"daily at {self.at:%H:%M} UTC"
        return f"every {show_duration(self.every or DEFAULT_EVERY)}"


def show_duration(value: timedelta) -> str:
    seconds = value.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"


class _Where:
    """Names the place (the file), the source and the key in every message."""

    def __init__(self, place: str | None, index: int, name: str | None) -> None:
        self.place, self.index, self.name = place, index, name

    def fail(self, key: str, problem: str) -> ConfigError:
        who = f"source {self.name!r}" if self.name else f"source #{self.index + 1}"
        place = f"{self.place}: " if self.place else ""
        return ConfigError(f"{place}{who}: {key}: {problem}", key=key)


def parse_duration(value: object) -> float | None:
    """Seconds in ``"3s"``, ``"0.2s"``, ``"500ms"``, ``"30m"``, ``"6h"``, ``"1d"`` (or a bare number
    of seconds); None when it is not one."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    if not isinstance(value, str):
        return None
    m = _DURATION.match(value.strip().lower())
    return float(m.group(1)) * _UNITS[m.group(2)] if m else None


def _duration(raw: dict[str, object], key: str, where: _Where, default: float) -> float:
    if key not in raw:
        return default
    seconds = parse_duration(raw[key])
    if seconds is None:
        raise where.fail(key, f"not a duration (like 3s, 30m, 6h, 1d): {raw[key]!r}")
    if seconds > MAX_DURATION:
        raise where.fail(key, f"must be at most 366d, not {raw[key]!r}")
    return seconds


def _text(raw: dict[str, object], key: str, where: _Where) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise where.fail(key, f"must be a non-empty string, not {value!r}")
    return value.strip()


def _strings(raw: dict[str, object], key: str, where: _Where) -> tuple[str, ...]:
    value = raw.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise where.fail(key, f"must be a list of non-empty strings, not {value!r}")
    return tuple(v.strip() for v in value)


def _since(raw: dict[str, object], where: _Where) -> date | None:
    value = raw.get("since")
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise where.fail("since", f"not a date (YYYY-MM-DD): {value!r}") from None


def _match(
    raw: dict[str, object], where: _Where
) -> tuple[tuple[str, ...], tuple[ParsedQuery, ...]]:
    texts = _strings(raw, "match", where)
    parsed = []
    for text in texts:
        query = parse_query(text)
        if query.notes or query.is_empty:
            reason = "; ".join(query.notes) or "nothing to match"
            raise where.fail("match", f"{text!r} does not parse: {reason}")
        parsed.append(query)
    return texts, tuple(parsed)


def parse_source(raw: object, file: str, index: int) -> SourceConfig:
    """The ``index``-th ``[[sources]]`` table of ``file``, checked."""
    return parse_table(raw, f"{file}: [[sources]]", index)


def parse_table(raw: object, place: str | None = None, index: int = 0) -> SourceConfig:
    """A source's table from the file or the database, checked; a ``ConfigError`` names
    ``place`` (when given), the source and the key."""
    if not isinstance(raw, dict):
        raise _Where(place, index, None).fail("(table)", f"must be a table, not {raw!r}")
    name_value = raw.get("name")
    where = _Where(place, index, name_value if isinstance(name_value, str) else None)
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise where.fail(unknown[0], f"unknown key (known: {', '.join(sorted(KEYS))})")
    if not isinstance(name_value, str) or not _NAME.match(name_value):
        raise where.fail(
            "name", f"required: lower-case letters, digits, '.', '_' or '-', not {name_value!r}"
        )
    kind = raw.get("kind")
    if kind not in KINDS:
        raise where.fail("kind", f"must be one of {', '.join(KINDS)}, not {kind!r}")
    rule = raw.get("list", "none")
    if rule not in LIST_RULES:
        raise where.fail("list", f"must be one of {', '.join(LIST_RULES)}, not {rule!r}")
    match, queries = _match(raw, where)
    if rule == "match" and not match:
        raise where.fail("match", 'required when list = "match"')
    at = raw.get("at")
    at_time = at if isinstance(at, time) else None
    if isinstance(at, str):
        m = _AT.match(at)
        if not m:
            raise where.fail("at", f"not a UTC time HH:MM: {at!r}")
        at_time = time(int(m.group(1)), int(m.group(2)))
    elif at is not None and at_time is None:
        raise where.fail("at", f"not a UTC time HH:MM: {at!r}")
    if at_time is not None:
        at_time = at_time.replace(second=0, microsecond=0, tzinfo=None)
        if "every" in raw:
            raise where.fail("at", "give either every or at, not both")
    every = _duration(raw, "every", where, DEFAULT_EVERY.total_seconds())
    if every < 60:
        raise where.fail("every", f"must be at least 1m, not {raw.get('every')!r}")
    max_per_day = raw.get("max_per_day")
    if max_per_day is not None and (
        not isinstance(max_per_day, int)
        or isinstance(max_per_day, bool)
        or not 1 <= max_per_day <= MAX_PER_DAY
    ):
        raise where.fail(
            "max_per_day", f"must be a whole number from 1 to {MAX_PER_DAY}, not {max_per_day!r}"
        )
    retries = raw.get("retries", 4)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
        raise where.fail("retries", f"must be a whole number from 0 to 10, not {retries!r}")
    metadata_prefix = _text(raw, "format", where) or "arXiv"
    if metadata_prefix not in oai.FORMATS:
        raise where.fail("format", f"must be one of {', '.join(oai.FORMATS)}")
    query, categories = _text(raw, "query", where), _strings(raw, "categories", where)
    if kind == "arxiv" and not (query or categories):
        raise where.fail("query", "an arxiv source needs a query or categories")
    timeout = _duration(raw, "timeout", where, 60.0)
    if timeout <= 0:
        raise where.fail("timeout", "must be more than 0s")
    base_url = _text(raw, "base_url", where) or KINDS[kind]
    try:
        check_scheme(base_url)
    except FetchRefused:
        raise where.fail(
            "base_url", f"must be an http:// or https:// address with a host, not {base_url!r}"
        ) from None
    return SourceConfig(
        name=name_value,
        kind=kind,
        base_url=base_url,
        set_spec=_text(raw, "set", where),
        metadata_prefix=metadata_prefix,
        query=query,
        categories=categories,
        since=_since(raw, where),
        every=None if at_time else timedelta(seconds=every),
        at=at_time,
        min_interval=_duration(raw, "min_interval", where, DEFAULT_MIN_INTERVAL[kind]),
        timeout=timeout,
        retries=retries,
        backoff=_duration(raw, "backoff", where, 2.0),
        list_rule=rule,
        match=match,
        max_per_day=max_per_day,
        queries=queries,
    )


def parse_sources(data: object, file: str) -> list[SourceConfig]:
    """The sources of a parsed TOML document's ``sources`` value (absent: none)."""
    if data is None:
        return []
    if not isinstance(data, list):
        raise ConfigError(f"{file}: sources must be an array of tables ([[sources]])")
    sources = [parse_source(raw, file, i) for i, raw in enumerate(data)]
    seen: set[str] = set()
    for i, source in enumerate(sources):
        if source.name in seen:
            raise _Where(f"{file}: [[sources]]", i, source.name).fail("name", "used by two sources")
        seen.add(source.name)
    return sources


def load_sources(settings: Settings) -> list[SourceConfig]:
    """The configured sources (none without a config file); raises ``ConfigError`` naming the file,
    the source and the key."""
    return parse_sources(settings.extra.get("sources"), settings.config_file or "PAPERWIRE_CONFIG")


def find(sources: list[SourceConfig], names: list[str]) -> list[SourceConfig]:
    """The sources called ``names``, in that order; an unknown name is a ``SourceNotFound``."""
    by_name = {s.name: s for s in sources}
    missing = [n for n in names if n not in by_name]
    if missing:
        known = ", ".join(by_name) or "none configured"
        raise SourceNotFound(f"no source named {missing[0]!r} (configured: {known})")
    return [by_name[n] for n in names]


def as_stored(raw: dict[str, Any]) -> dict[str, Any]:
    """A checked table (``parse_table``) as the database keeps it: JSON values only, TOML's dates
    and times as the strings the parser reads back, the keys in ``FORM_KEYS`` order."""
    stored: dict[str, Any] = {}
    for key in FORM_KEYS:
        if key not in raw:
            continue
        value = raw[key]
        if isinstance(value, time):
            value = f"{value:%H:%M}"
        elif isinstance(value, date):
            value = value.isoformat()
        stored[key] = value
    return stored
