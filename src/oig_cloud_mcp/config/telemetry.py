"""Where OpenTelemetry traces and metrics go, from the standard `OTEL_*` variables."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from .names import APP_NAME

OTEL_EXPORTERS = ("otlp", "console", "none")
OTLP_DEFAULT = "http://localhost:4318"


def _plain_url(url: str) -> str:
    """`url` without a user name, password, query or fragment: safe to show."""
    parts = urlsplit(url)
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


@dataclass(frozen=True)
class Telemetry:
    """Where OpenTelemetry traces and metrics go (the standard `OTEL_*` variables).

    Off unless the owner sets an OTLP endpoint or an exporter; the SDK then reads the
    other `OTEL_*` variables itself. The endpoints are kept as shown: no credentials.
    """

    traces: tuple[str, ...] = ()
    """Span exporters: `otlp` (OTLP over HTTP), `console` (stderr)."""
    metrics: tuple[str, ...] = ()
    traces_endpoint: str = ""
    metrics_endpoint: str = ""
    service_name: str = APP_NAME

    @property
    def enabled(self) -> bool:
        """Whether anything is exported at all."""
        return bool(self.traces or self.metrics)
