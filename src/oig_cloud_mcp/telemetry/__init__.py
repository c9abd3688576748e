"""OpenTelemetry's SDK: the tracer and meter providers and their exporters.

Imported only when `Settings.telemetry` says telemetry is on (an OTLP endpoint or an
`OTEL_*_EXPORTER` is set), and the only code that imports `opentelemetry.sdk` or an
exporter. Everything else records spans and metrics through the OpenTelemetry API, which
does nothing until `install` gives it providers. Spans leave without error messages
(`scrub`). The OTLP/HTTP exporters read the other
`OTEL_EXPORTER_OTLP_*` variables (endpoint, headers, timeout, certificate) themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    ConsoleMetricExporter,
    MetricExporter,
    MetricReader,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

from .. import __version__
from ..config import Telemetry
from .scrub import Scrubbed

FLUSH_MS = 3000
"""How long stopping waits for the last spans and metric points to leave."""


def resource(config: Telemetry) -> Resource:
    """Who sends: the service's name (`OTEL_SERVICE_NAME`, default oig-cloud-mcp) and
    version, plus whatever `OTEL_RESOURCE_ATTRIBUTES` adds."""
    return Resource.create({"service.name": config.service_name, "service.version": __version__})


def _span_exporter(name: str) -> SpanExporter:
    if name == "console":  # stderr: over stdio, stdout carries JSON-RPC only
        return ConsoleSpanExporter(out=sys.stderr)
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def _metric_exporter(name: str) -> MetricExporter:
    if name == "console":
        return ConsoleMetricExporter(out=sys.stderr)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter()


def install(config: Telemetry) -> Callable[[], None]:
    """Give the OpenTelemetry API its providers; returns what flushes and stops them."""
    where = resource(config)
    stops: list[Callable[[], None]] = []
    if config.traces:
        tracers = TracerProvider(resource=where, shutdown_on_exit=False)
        for name in config.traces:
            tracers.add_span_processor(BatchSpanProcessor(Scrubbed(_span_exporter(name))))
        trace.set_tracer_provider(tracers)

        def stop_traces() -> None:
            tracers.force_flush(FLUSH_MS)
            tracers.shutdown()

        stops.append(stop_traces)
    if config.metrics:
        readers: list[MetricReader] = [
            PeriodicExportingMetricReader(_metric_exporter(name)) for name in config.metrics
        ]
        meters = MeterProvider(resource=where, metric_readers=readers, shutdown_on_exit=False)
        metrics.set_meter_provider(meters)
        stops.append(lambda: meters.shutdown(timeout_millis=FLUSH_MS))

    def stop() -> None:
        for each in stops:
            each()

    return stop
