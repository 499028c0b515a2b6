"""Prometheus metrics of one app (its own registry, so several apps in one process never clash)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """Request latency and counts by route, decisions by recommendation, the model version served."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("kuozhong_http_requests_total", "HTTP requests", ["method", "route", "status"],
                                registry=self.registry)
        self.latency = Histogram("kuozhong_http_request_seconds", "HTTP request latency", ["method", "route"],
                                 buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5), registry=self.registry)
        self.decisions = Counter("kuozhong_decisions_total", "Decisions made", ["recommendation"],
                                 registry=self.registry)
        self.reviews = Counter("kuozhong_reviews_total", "Reviews recorded", ["action"], registry=self.registry)
        self.model_version = Gauge("kuozhong_model_version", "Registry version of the model served",
                                   registry=self.registry)


class MetricsMiddleware:
    """Time every HTTP request under its route template (never the raw path: ids stay out of labels).

    The answer carries the same duration in a ``Server-Timing`` header.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on and record its status and duration."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start, code = time.perf_counter(), 500

        async def record(message: Message) -> None:
            nonlocal code
            if message["type"] == "http.response.start":
                code = message["status"]
                # The time the app took up to its answer, for clients that separate it from the network's.
                took = f"app;dur={(time.perf_counter() - start) * 1000:.2f}".encode()
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", took)]}
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.requests.labels(scope["method"], route, str(code)).inc()
            self.metrics.latency.labels(scope["method"], route).observe(time.perf_counter() - start)
