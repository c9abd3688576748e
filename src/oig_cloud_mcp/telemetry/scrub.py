"""Spans leave without error messages: `Scrubbed` wraps every span exporter.

Our own spans name a failure by its class only, but the MCP SDK's server span puts an
error's message in its status (an MCP error) or records the exception with message and
stack trace, and such a message may name the account ("OIG Cloud rejected the e-mail or
password for ..."). So what is exported keeps each status code and exception type, and
drops every status description, exception message and stack trace.
"""

from __future__ import annotations

from collections.abc import Sequence

from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult
from opentelemetry.trace import Status

KEPT = frozenset({"exception.type", "exception.escaped"})
"""What an `exception` event keeps."""


def scrubbed(span: ReadableSpan) -> ReadableSpan:
    """`span` without its status description and its exceptions' messages and traces."""
    exceptions = [event for event in span.events if event.name == "exception"]
    if not span.status.description and not exceptions:
        return span
    events = [
        Event(
            event.name,
            {k: v for k, v in (event.attributes or {}).items() if k in KEPT},
            event.timestamp,
        )
        if event.name == "exception"
        else event
        for event in span.events
    ]
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=span.attributes,
        events=events,
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


class Scrubbed(SpanExporter):
    """A span exporter that sends every span `scrubbed`."""

    def __init__(self, exporter: SpanExporter) -> None:
        self.exporter = exporter

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        """Export the spans without their error messages."""
        return self.exporter.export([scrubbed(span) for span in spans])

    def shutdown(self) -> None:
        """Shut the wrapped exporter down."""
        self.exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        """Flush the wrapped exporter."""
        return self.exporter.force_flush(timeout_millis)
