"""What the use cases tell OpenTelemetry: the steps of a write as spans, writes counted by
outcome, and how many remote-access grants are active.

Through the OpenTelemetry API only (a no-op until `oig_cloud_mcp.telemetry` installs the
SDK). A write is named by its tool and outcome; never by its box, its value or who asked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator

from opentelemetry import metrics, trace
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.trace import StatusCode

from .. import __version__

tracer = trace.get_tracer("oig_cloud_mcp.app", __version__)
meter = metrics.get_meter("oig_cloud_mcp.app", __version__)
WRITES = meter.create_counter(
    "oig.writes",
    unit="{write}",
    description="Write tool calls by tool and outcome (as the audit log records them).",
)
GRANTS_COUNTED_EVERY_S = 60.0
"""The active grants are counted again at most this often (on a request that uses one)."""


class _Grants:
    """The last count of active grants (None until counted). Counted only once a metric
    reader asks for it (`wanted`): without telemetry, no state is read for it."""

    count: int | None = None
    counted_at: float = float("-inf")
    wanted = False

    def due(self, now: float) -> bool:
        """Whether to count the grants again now."""
        return self.wanted and now - self.counted_at > GRANTS_COUNTED_EVERY_S

    def counted(self, count: int, now: float) -> None:
        """The grants were counted."""
        self.count, self.counted_at = count, now

    def changed(self) -> None:
        """A grant began or ended: count again at the next chance."""
        self.counted_at = float("-inf")


GRANTS = _Grants()


def _observe_grants(options: CallbackOptions) -> Iterable[Observation]:
    GRANTS.wanted = True
    if GRANTS.count is not None:
        yield Observation(GRANTS.count)


meter.create_observable_gauge(
    "oig.remote.grants.active",
    callbacks=[_observe_grants],
    unit="{grant}",
    description="Grants of remote access that have not ended (clients let in).",
)


def write_counted(tool: str, outcome: str) -> None:
    """One write tool call and what became of it (an audit line's outcome)."""
    WRITES.add(1, {"oig.write.tool": tool, "oig.write.outcome": outcome})


@contextlib.contextmanager
def write_step(name: str, tool: str) -> Iterator[None]:
    """One step of a write (`oig.write.intent`, `.send`, `.outcome`) as a span."""
    with tracer.start_as_current_span(
        name,
        attributes={"oig.write.tool": tool},
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield
        except BaseException as exc:
            span.set_attribute("error.type", type(exc).__qualname__)
            span.set_status(StatusCode.ERROR)
            raise


def write_outcome(outcome: str) -> None:
    """What the portal made of a sent write, on the current step's span."""
    trace.get_current_span().set_attribute("oig.write.outcome", outcome)
