"""Prometheus metrics: requests and latency by route, operations by status, indexer lag."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func
from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from node_api.db.models import Operation
from node_api.state import GatewayState

__all__ = ["Metrics"]


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
        indexer = self.state.services.get("indexer")
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

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        start = time.perf_counter()
        route = _route_template(request)
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            if route != "/metrics":
                self.requests.labels(request.method, route, str(status)).inc()
                self.latency.labels(request.method, route).observe(time.perf_counter() - start)


def _route_template(request: Request) -> str:
    app: Any = request.app
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match == Match.FULL:
            return str(getattr(route, "path", request.url.path))
    return "<unmatched>"
