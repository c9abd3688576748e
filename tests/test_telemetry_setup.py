"""Telemetry is off unless the owner's OTEL_* variables turn it on; off, nothing of
OpenTelemetry's SDK is loaded, and only `oig_cloud_mcp.telemetry` ever imports it."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from oig_cloud_mcp.config import Settings, Telemetry
from oig_cloud_mcp.errors import ConfigurationError

from .fake_portal import FakePortal
from .helpers.stdio_session import StdioSession

SOURCE = Path(__file__).resolve().parent.parent / "src" / "oig_cloud_mcp"
SDK_PACKAGES = ("opentelemetry.sdk", "opentelemetry.exporter")


def telemetry(**env: str) -> Telemetry:
    return Settings.from_env(env).telemetry


def test_telemetry_is_off_without_otel_variables() -> None:
    assert telemetry() == Telemetry()
    assert not telemetry().enabled
    assert not telemetry(OTEL_SERVICE_NAME="house").enabled


def test_an_otlp_endpoint_turns_on_traces_and_metrics_to_it() -> None:
    found = telemetry(OTEL_EXPORTER_OTLP_ENDPOINT="http://collector:4318/")

    assert found.enabled
    assert found.traces == ("otlp",)
    assert found.metrics == ("otlp",)
    assert found.traces_endpoint == "http://collector:4318/v1/traces"
    assert found.metrics_endpoint == "http://collector:4318/v1/metrics"
    assert found.service_name == "oig-cloud-mcp"


def test_a_signal_endpoint_and_an_exporter_choose_each_signal() -> None:
    found = telemetry(
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="https://traces.example.com/in",
        OTEL_METRICS_EXPORTER="none",
        OTEL_SERVICE_NAME="battery",
    )

    assert found.traces == ("otlp",)
    assert found.metrics == ()
    assert found.traces_endpoint == "https://traces.example.com/in"
    assert found.service_name == "battery"


def test_the_console_exporter_alone_turns_on_only_its_signal() -> None:
    found = telemetry(OTEL_TRACES_EXPORTER="console")

    assert found.traces == ("console",)
    assert found.metrics == ()


def test_shown_endpoints_carry_no_credentials_or_query() -> None:
    found = telemetry(
        OTEL_EXPORTER_OTLP_ENDPOINT="https://user:s3cret@otel.example.com:4318/?key=k1"
    )

    assert found.traces_endpoint == "https://otel.example.com:4318/v1/traces"
    assert "s3cret" not in repr(found)


def test_otel_sdk_disabled_wins() -> None:
    assert not telemetry(
        OTEL_SDK_DISABLED="true", OTEL_EXPORTER_OTLP_ENDPOINT="http://localhost:4318"
    ).enabled


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"),
        (
            {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://c:4317", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"},
            "OTEL_EXPORTER_OTLP_PROTOCOL",
        ),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4318"}, "OTEL_EXPORTER_OTLP_ENDPOINT"),
    ],
)
def test_an_otel_value_that_cannot_be_used_is_named(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_env(env)


def _imports(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_only_the_telemetry_package_imports_the_otel_sdk_or_an_exporter() -> None:
    importers = {
        str(path.relative_to(SOURCE))
        for path in SOURCE.rglob("*.py")
        if any(m.startswith(SDK_PACKAGES) for m in _imports(ast.parse(path.read_text())))
    }

    assert importers == {"telemetry/__init__.py", "telemetry/scrub.py"}


PROBE = """
import atexit, json, os, sys
def _dump():
    with open(os.environ["OIG_TEST_MODULES"], "w") as out:
        loaded = (m for m, v in sys.modules.items() if v and m.startswith("opentelemetry"))
        json.dump(sorted(loaded), out)
atexit.register(_dump)
if os.environ.get("OIG_TEST_NO_SDK"):  # as if the otel extra were not installed
    sys.modules["opentelemetry.sdk"] = None
"""


def loaded_after_a_call(tmp_path: Path, env: dict[str, str], **otel: str) -> tuple[list[str], str]:
    """The opentelemetry modules the real command had loaded when it quit, after one call,
    and its stderr (a `sitecustomize` writes them down at exit)."""
    (tmp_path / "probe").mkdir(exist_ok=True)
    (tmp_path / "probe" / "sitecustomize.py").write_text(PROBE)
    listing = tmp_path / "modules.json"
    clean = {k: "" for k in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER")}
    with StdioSession(
        {
            **env,
            **clean,
            **otel,
            "PYTHONPATH": str(tmp_path / "probe"),
            "OIG_TEST_MODULES": str(listing),
        }
    ) as server:
        server.initialize()
        result = server.call_tool("get_basic_data")
    assert not result.get("isError"), result
    return json.loads(listing.read_text()), server.stderr


@pytest.mark.e2e
def test_serving_stdio_without_otel_variables_loads_nothing_of_the_sdk(
    tmp_path: Path, env: dict[str, str], portal: FakePortal
) -> None:
    loaded, _ = loaded_after_a_call(tmp_path, env)

    assert "opentelemetry.trace" in loaded  # the API, which the MCP SDK uses: a no-op
    assert not [m for m in loaded if m.startswith(SDK_PACKAGES)]


@pytest.mark.e2e
def test_serving_stdio_with_an_endpoint_loads_the_sdk(
    tmp_path: Path, env: dict[str, str], portal: FakePortal
) -> None:
    loaded, _ = loaded_after_a_call(
        tmp_path, env, OTEL_TRACES_EXPORTER="console", OTEL_METRICS_EXPORTER="none"
    )

    assert "opentelemetry.sdk.trace" in loaded


@pytest.mark.e2e
def test_otel_variables_without_the_extra_say_so_and_serve_on(
    tmp_path: Path, env: dict[str, str], portal: FakePortal
) -> None:
    loaded, stderr = loaded_after_a_call(
        tmp_path, env, OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:9", OIG_TEST_NO_SDK="1"
    )

    assert "the otel extra is not installed" in stderr
    assert "oig-cloud-mcp[otel]" in stderr
    assert not [m for m in loaded if m.startswith(SDK_PACKAGES)]


def test_status_says_where_telemetry_goes_without_credentials(env: dict[str, str]) -> None:
    from .helpers.commands import run_command

    endpoint = {"OTEL_EXPORTER_OTLP_ENDPOINT": "https://me:t0ken@otel.example.com:4318/?k=v"}
    on = run_command({**env, **endpoint, "OTEL_METRICS_EXPORTER": "none"}, "status")
    off = run_command({**env, "OTEL_EXPORTER_OTLP_ENDPOINT": ""}, "status")

    assert on.returncode == 0, on.stderr
    assert (
        "Telemetry: on, as oig-cloud-mcp: traces to https://otel.example.com:4318/v1/traces"
        in on.stdout
    )
    assert "t0ken" not in on.stdout
    assert "k=v" not in on.stdout
    assert "Telemetry: off" in off.stdout


def test_exported_spans_keep_error_types_and_lose_error_messages() -> None:
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.trace import Status, StatusCode

    from oig_cloud_mcp.telemetry.scrub import scrubbed

    failure = {
        "exception.type": "AuthenticationError",
        "exception.message": "rejected owner@example.com",
        "exception.stacktrace": "Traceback: owner@example.com",
    }
    span = ReadableSpan(
        "resources/read",
        status=Status(StatusCode.ERROR, "rejected owner@example.com"),
        events=[Event("exception", failure), Event("oig.portal.cache_hit")],
    )

    sent = scrubbed(span)

    assert "owner@example.com" not in sent.to_json()
    assert sent.status.status_code == StatusCode.ERROR
    assert [(e.name, dict(e.attributes or {})) for e in sent.events] == [
        ("exception", {"exception.type": "AuthenticationError"}),
        ("oig.portal.cache_hit", {}),
    ]
