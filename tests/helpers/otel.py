"""OpenTelemetry's SDK in this test process, exporting to memory: every span ended while a
test records (through the same scrubbing exporter wrapper as `telemetry.install`), and
every metric point.

The providers are global and can be set once per process, so they are installed once and
stay; spans are kept only while a test records (`Kit.recording`).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult

from oig_cloud_mcp.telemetry.scrub import Scrubbed


class Recorder(SpanExporter):
    """Keeps the spans exported while on."""

    def __init__(self) -> None:
        self.on = False
        self.spans: list[ReadableSpan] = []
        self.lock = threading.Lock()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        with self.lock:
            if self.on:
                self.spans.extend(spans)
        return SpanExportResult.SUCCESS


@dataclass
class Kit:
    recorder: Recorder
    reader: InMemoryMetricReader
    spans: list[ReadableSpan] = field(default_factory=list)

    @contextlib.contextmanager
    def recording(self) -> Iterator[Kit]:
        self.recorder.spans = self.spans = []
        self.recorder.on = True
        try:
            yield self
        finally:
            self.recorder.on = False

    def metrics(self) -> dict[str, Any]:
        """Every metric point so far (cumulative), as OTLP's JSON shape."""
        data = self.reader.get_metrics_data()
        return json.loads(data.to_json()) if data is not None else {}

    def points(self, name: str) -> list[dict[str, Any]]:
        """The data points of one metric: its attributes and value."""
        found = []
        for resource in self.metrics().get("resource_metrics", []):
            for scope in resource["scope_metrics"]:
                for metric in scope["metrics"]:
                    if metric["name"] == name:
                        found += metric["data"]["data_points"]
        return found

    def named(self, name: str) -> list[ReadableSpan]:
        return [span for span in self.spans if span.name == name]


_KIT: Kit | None = None


def installed() -> Kit:
    """The in-memory SDK of this process (installed on first use)."""
    global _KIT
    if _KIT is None:
        recorder, reader = Recorder(), InMemoryMetricReader()
        tracers = TracerProvider(shutdown_on_exit=False)
        tracers.add_span_processor(SimpleSpanProcessor(Scrubbed(recorder)))  # as `install`
        trace.set_tracer_provider(tracers)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader], shutdown_on_exit=False))
        _KIT = Kit(recorder, reader)
    return _KIT
