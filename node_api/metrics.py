"""Prometheus metrics: requests and latency by route, operations by status, indexer lag."""

from __future__ import annotations

import time
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node_api.db.models import Operation
from node_api.state import GatewayState

__all__ = ["Metrics", "MetricsMiddleware"]


class _StateCollector(Collector):
    def __init__(self, state: GatewayState) -> None:
        self.state = state

    def collect(self) -> Iterator[GaugeMetricFamily]:
        ops = GaugeMetricFamily("recourse_operations", "Operations by status", labels=["status"])
        with Session(self.state.engine) as s:
            counts = dict(s.exec(select(Operation.status, func.count()).group_by(Operation.status)).all())
        for status in ("pending", "sent", "succeeded", "failed"):
            ops.add_metric([status], float(counts.get(status, 0)))
        yield ops
        indexer = self.state.services.indexer
        lag = GaugeMetricFamily("recourse_indexer_lag_blocks", "Blocks between the chain head and the index")
        lag.add_metric([], float(indexer.lag()) if indexer is not None else -1.0)
        yield lag
        writers = GaugeMetricFamily("recourse_writer_healthy", "Transaction writer health", labels=["institution"])
        for name, w in self.state.writers.items():
            writers.add_metric([name], 1.0 if w.healthy else 0.0)
        yield writers


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "recourse_http_requests", "HTTP requests", ["method", "route", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "recourse_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    def attach(self, state: GatewayState) -> None:
        self.registry.register(_StateCollector(state))


class MetricsMiddleware:
    """Pure ASGI middleware: counts requests and observes latency by method, route template and status.

    The route template comes from ``scope["route"]``, which the router sets when it matches (no second
    matching pass, no extra task or memory streams as with ``BaseHTTPMiddleware``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            template = str(getattr(route, "path", "<unmatched>")) if route is not None else "<unmatched>"
            if template != "/metrics":
                method = scope["method"]
                self.metrics.requests.labels(method, template, str(status)).inc()
                self.metrics.latency.labels(method, template).observe(time.perf_counter() - start)
