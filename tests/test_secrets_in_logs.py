"""No session cookie and no password in the logs, at any level (stderr ends up in the
MCP client's log file)."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

from oig_cloud_mcp.server import RedactSecrets

from .fake_portal import FakePortal
from .helpers.fakes import PASSWORD
from .helpers.mcp_calls import preview_then_confirm
from .helpers.stdio_session import StdioSession


@pytest.mark.e2e
def test_a_debug_run_logs_no_cookie_and_no_password(
    env: dict[str, str], portal: FakePortal
) -> None:
    debug = {
        **env,
        "OIG_CLOUD_MCP_LOG_LEVEL": "DEBUG",
        "OIG_CLOUD_MCP_ALLOW_WRITES": "set_box_mode",
        "OIG_CLOUD_MCP_CACHE_TTL": "0",
    }
    with StdioSession(debug, "--debug") as server:
        server.initialize()
        server.call_tool("get_basic_data")
        portal.expire_sessions()
        server.call_tool("get_basic_data")  # a second login
        server.call_tool("get_notifications")
        preview_then_confirm(server.call_tool, "set_box_mode", mode="Home UPS")

    assert " DEBUG " in server.stderr  # the run really logged at DEBUG
    assert len(portal.issued_cookies) == 2
    for cookie in portal.issued_cookies:
        assert cookie not in server.stderr
    assert PASSWORD not in server.stderr


@pytest.mark.parametrize(
    "line",
    [
        # httpcore's trace of a login answer, as it used to reach stderr
        "receive_response_headers.complete return_value=(b'HTTP/1.1', 200, b'OK', "
        "[(b'content-type', b'text/html'), (b'set-cookie', b'PHPSESSID=secretcookie42; path=/')])",
        "send_request_headers.started request=<Request [b'GET']> headers=[(b'Cookie', "
        "b'PHPSESSID=secretcookie42')]",
        'Login body {"email": "owner@example.com", "password": "s3cret-pw"}',
        "headers={'cookie': 'PHPSESSID=secretcookie42'}",
        # a proxy's password in the portal's URL, as httpx names the URL
        'HTTP Request: POST http://proxyuser:secretcookie42@127.0.0.1:8080/Login.php "200 OK"',
    ],
)
def test_the_log_filter_blanks_cookies_and_passwords(line: str) -> None:
    record = logging.LogRecord("httpcore.http11", logging.DEBUG, __file__, 1, "%s", (line,), None)

    assert RedactSecrets().filter(record)

    message = record.getMessage()
    assert "secretcookie42" not in message
    assert PASSWORD not in message
    assert "<redacted>" in message


@pytest.mark.parametrize("form", ["text", "json"])
def test_a_logged_traceback_names_no_e_mail(form: str) -> None:
    script = (
        "import logging\n"
        "from oig_cloud_mcp.server import configure_logging\n"
        f"configure_logging('INFO', {form!r})\n"
        "try:\n"
        "    raise ValueError('rejected the password for jana@example.com')\n"
        "except ValueError:\n"
        "    logging.getLogger('somewhere').exception('A tool failed')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )

    assert "ValueError: rejected the password for <household h" in done.stderr
    assert "jana@example.com" not in done.stderr
