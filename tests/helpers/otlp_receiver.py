"""A small OTLP/HTTP receiver on 127.0.0.1: it takes what an OpenTelemetry exporter posts to
/v1/traces and /v1/metrics, decodes the protobuf with `opentelemetry-proto`, and keeps the
spans and metric points in plain dicts for tests."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from google.protobuf.json_format import MessageToDict  # type: ignore[import-untyped]
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span as ProtoSpan


@dataclass
class Span:
    name: str
    kind: str
    trace_id: str
    span_id: str
    parent_id: str
    attributes: dict[str, Any]
    resource: dict[str, Any]


def _value(value: Any) -> Any:
    """An OTLP AnyValue as a plain value."""
    kind = value.WhichOneof("value")
    if kind == "array_value":
        return [_value(v) for v in value.array_value.values]
    return getattr(value, kind) if kind else None


def _attributes(pairs: Any) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


@dataclass
class Received:
    spans: list[Span] = field(default_factory=list)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    """Each metric as OTLP's JSON mapping (name, and its sum or histogram points)."""
    bodies: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_traces(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        for resource in request.resource_spans:
            where = _attributes(resource.resource.attributes)
            for scope in resource.scope_spans:
                for span in scope.spans:
                    self.spans.append(
                        Span(
                            name=span.name,
                            kind=ProtoSpan.SpanKind.Name(span.kind),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_id=span.parent_span_id.hex(),
                            attributes=_attributes(span.attributes),
                            resource=where,
                        )
                    )

    def take_metrics(self, body: bytes) -> None:
        request = ExportMetricsServiceRequest.FromString(body)
        for resource in request.resource_metrics:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    self.metrics.append(MessageToDict(metric))

    def named(self, name: str) -> list[Span]:
        with self.lock:
            return [span for span in self.spans if span.name == name]

    def points(self, name: str) -> list[dict[str, Any]]:
        """Every exported data point of metric `name`, attributes as a plain dict."""
        found = []
        with self.lock:
            for metric in self.metrics:
                if metric["name"] != name:
                    continue
                kind = next(k for k in ("sum", "gauge", "histogram") if k in metric)
                for point in metric[kind].get("dataPoints", []):
                    labels = {
                        a["key"]: next(iter(a["value"].values()))
                        for a in point.get("attributes", [])
                    }
                    found.append({**point, "attributes": labels})
        return found

    def wait_for(self, *names: str) -> None:
        """Until a span of each name has arrived."""
        self.wait_until(lambda: all(self.named(name) for name in names), f"spans {names}")

    def wait_until(
        self, arrived: Callable[[], bool], what: str = "the data", timeout: float = 20
    ) -> None:
        """Until `arrived()` (what the exporter sent so far) holds."""
        deadline = time.monotonic() + timeout
        while not arrived():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what} did not arrive")
            time.sleep(0.05)


class Receiver:
    """The HTTP server, in a thread; `url` is its OTEL_EXPORTER_OTLP_ENDPOINT."""

    def __init__(self) -> None:
        self.received = received = Received()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with received.lock:
                    received.bodies.append(body)
                    if self.path == "/v1/traces":
                        received.take_traces(body)
                    elif self.path == "/v1/metrics":
                        received.take_metrics(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Received:
        self.thread.start()
        return self.received

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
