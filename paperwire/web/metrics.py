"""``/metrics`` in the Prometheus text format (prometheus-client), and the request timer behind it.

Per process: request latency by route (the route's template, so ``/papers/{paper_id}`` is one series)
and method; measured when scraped: this node's index lag, the cluster's embedding backlog, digest
deliveries by status, and each harvest source's runs, papers added, records rejected and failed runs
(``intake_sources``; from the database, so every node reports the same numbers). With several
server processes (``--workers``) each answers for itself: scrape them all, or run one per node.
``may_scrape`` says who may read it (a token or an allowed address).
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from paperwire.config import Settings
from paperwire.digests.delivery import delivery_counts
from paperwire.intake.state import states
from paperwire.search.follow import status

# Up to 10 s: a page slower than that is an outage, whatever the bucket.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# ``intake_sources`` columns exported as ``paperwire_harvest_<column>_total{source=...}``.
HARVEST_COUNTERS = {
    "runs": "runs",
    "added": "papers added",
    "rejected": "records rejected",
    "errors": "runs that failed",
}


def may_scrape(settings: Settings, address: str, authorization: str | None) -> bool:
    """Whether a scrape with this ``Authorization`` header from ``address`` may read /metrics:
    the Bearer token is ``PAPERWIRE_METRICS_TOKEN``, or the address is in ``PAPERWIRE_METRICS_ALLOW``."""
    scheme, _, sent = (authorization or "").partition(" ")
    token = settings.metrics_token
    if (
        token
        and scheme.lower() == "bearer"
        and hmac.compare_digest(
            sent.strip().encode(),
            token.encode(),  # bytes: a non-ASCII str would raise
        )
    ):
        return True
    if not settings.metrics_allow:
        return False
    try:
        peer = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        peer in ipaddress.ip_network(entry, strict=False)
        for entry in settings.metrics_allow.split(",")
    )


class _Measured(Collector):
    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        found = status(self.settings, self.engine)
        yield GaugeMetricFamily(
            "paperwire_index_lag_seconds",
            "seconds since the oldest change this node's search index has not applied",
            value=found.index_lag,
        )
        yield GaugeMetricFamily(
            "paperwire_embedding_backlog",
            "visible papers without a stored embedding of the current model",
            value=found.embedding_backlog,
        )
        deliveries = GaugeMetricFamily(
            "paperwire_digest_deliveries",
            "digests by delivery status (all periods)",
            labels=["status"],
        )
        harvest = {
            field: CounterMetricFamily(
                f"paperwire_harvest_{field}", f"harvest {what}, by source", labels=["source"]
            )
            for field, what in HARVEST_COUNTERS.items()
        }
        with Session(self.engine) as session:
            for name, count in sorted(delivery_counts(session).items()):
                deliveries.add_metric([name], count)
            for source, row in sorted(states(session).items()):
                for field, family in harvest.items():
                    family.add_metric([source], getattr(row, field))
        yield deliveries
        yield from harvest.values()


class Metrics:
    """One registry per app: the request histogram and the collector measured at scrape time."""

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Histogram(
            "paperwire_request_seconds",
            "time to answer a request, by route template and method",
            ["route", "method"],
            registry=self.registry,
            buckets=BUCKETS,
        )
        self.registry.register(_Measured(settings, engine))

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class RequestTimer:
    """Plain ASGI middleware timing each HTTP request until its response has been sent."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics
        # The histogram's child per (route, method): ``labels()`` checks and looks the labels up
        # under a lock on every call. Routes are templates, so the keys are as few as the series.
        self._children: dict[tuple[str, str], Any] = {}

    def _child(self, route: str, method: str) -> Any:
        key = (route, method)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.metrics.requests.labels(route, method)
        return child

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.body" and not message.get("more_body"):
                route: Any = scope.get("route")
                name = getattr(route, "path", None) or "unmatched"
                self._child(name, scope["method"]).observe(time.perf_counter() - started)

        await self.app(scope, receive, timed)
