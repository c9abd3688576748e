"""Remote mode the way it runs: the installed command, several processes on one state
directory behind one public URL, signals and exit codes, and logs with no secret in them."""

from __future__ import annotations

import json
import re
import signal
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urljoin

import pytest

from .fake_portal import BOX_ID, FakePortal
from .helpers.commands import run_command
from .helpers.fakes import PASSWORD
from .helpers.oauth import Browser, RawOAuth, call_tool, grant, pkce
from .helpers.remote import pairing_code, served
from .helpers.settings import state_dir_of
from .helpers.threaded import free_port

pytestmark = pytest.mark.e2e


@pytest.fixture
def browser() -> Iterator[Browser]:
    owner = Browser()
    yield owner
    owner.close()


def test_a_grant_made_through_one_process_works_on_another(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with (
        served(env, port=port) as first,
        served(env, "--public-url", public) as second,
    ):
        through_first = RawOAuth(first.url)
        tokens = grant(through_first, browser, pairing_code(env))
        on_second = RawOAuth(second.url)
        answer = call_tool(on_second, tokens["access_token"], "get_basic_data")
        through_first.close()
        on_second.close()

    assert answer["structuredContent"]["box_id"] == BOX_ID


def test_a_preview_licenses_the_same_grants_confirm_on_another_process_and_no_other(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    port = free_port()
    writes = ("--allow-writes", "set_box_mode")
    with (
        served(env, *writes, port=port) as first,
        served(env, *writes, "--public-url", f"http://127.0.0.1:{port}") as second,
    ):
        a, b = RawOAuth(first.url), RawOAuth(second.url)
        mine = grant(a, browser, pairing_code(env), write=True)
        other = grant(a, browser, pairing_code(env), write=True)
        preview = call_tool(a, mine["access_token"], "set_box_mode", mode="Home UPS")
        stranger = call_tool(
            b, other["access_token"], "set_box_mode", mode="Home UPS", confirm=True
        )
        sent_before = len(portal.write_requests())
        confirmed = call_tool(
            b, mine["access_token"], "set_box_mode", mode="Home UPS", confirm=True
        )
        a.close()
        b.close()

    assert preview["structuredContent"]["outcome"] == "previewed"
    assert stranger["structuredContent"]["outcome"] == "previewed"  # another grant's preview
    assert sent_before == 0
    assert confirmed["structuredContent"]["outcome"] == "written"
    assert len(portal.write_requests()) == 1


def test_ten_reads_at_once_make_one_portal_request(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    portal.delay_s = 0.3
    with served(env) as server:
        raw = RawOAuth(server.url)
        tokens = grant(raw, browser, pairing_code(env))
        with ThreadPoolExecutor(10) as pool:
            answers = list(
                pool.map(
                    lambda _: call_tool(raw, tokens["access_token"], "get_basic_data"), range(10)
                )
            )
        raw.close()

    assert all(a["structuredContent"]["box_id"] == BOX_ID for a in answers)
    assert portal.count("json.php") == 1


def test_debug_logs_hold_no_token_code_secret_cookie_or_password(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    debug = {**env, "OIG_CLOUD_MCP_LOG_LEVEL": "DEBUG"}
    with served(debug, "--allow-writes", "set_box_mode") as server:
        raw = RawOAuth(server.url)
        client = raw.client(token_endpoint_auth_method="client_secret_post")
        pairing = pairing_code(debug)
        code, verifier = raw.code(browser, pairing, client, write=True, scope="oig:read oig:write")
        tokens = raw.token(
            grant_type="authorization_code",
            code=code,
            redirect_uri=raw.redirect,
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            code_verifier=verifier,
        ).json()
        refreshed = raw.token(
            grant_type="refresh_token",
            refresh_token=tokens["refresh_token"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
        ).json()
        call_tool(raw, refreshed["access_token"], "get_basic_data")
        portal.expire_sessions()  # a renewal is logged too
        call_tool(raw, refreshed["access_token"], "set_box_mode", mode="Home 2")
        call_tool(raw, refreshed["access_token"], "set_box_mode", mode="Home 2", confirm=True)
        raw.close()
        _, stderr = server.stop()

    secrets = [
        code,
        pairing,
        client["client_secret"],
        tokens["access_token"],
        tokens["refresh_token"],
        refreshed["access_token"],
        refreshed["refresh_token"],
        PASSWORD,
        *portal.issued_cookies,
    ]
    assert "POST /token 200" in stderr  # the log is there, at DEBUG
    assert len(portal.issued_cookies) == 2
    for secret in secrets:
        assert secret not in stderr
    assert not re.search(r"oig_(at|rt|ac)_[A-Za-z0-9_-]{20}", stderr)


def test_serve_http_on_a_network_address_needs_a_public_url_and_binds_nothing(
    env: dict[str, str],
) -> None:
    port = free_port()
    done = run_command(env, "serve", "--http", "--host", "0.0.0.0", "--port", str(port))

    assert done.returncode == 2
    assert done.stderr.count("\n") == 1
    assert "--public-url" in done.stderr
    with socket.socket() as sock:
        sock.bind(("0.0.0.0", port))  # nothing holds it


def test_a_public_url_must_be_https_unless_it_is_loopback(env: dict[str, str]) -> None:
    plain = run_command(
        env, "serve", "--http", "--host", "0.0.0.0", "--public-url", "http://battery.example.com"
    )
    pathful = run_command(env, "serve", "--http", "--public-url", "https://example.com/oig")

    assert plain.returncode == 2
    assert "https://" in plain.stderr
    assert pathful.returncode == 2
    assert "without a path" in pathful.stderr


def test_a_busy_port_is_one_sentence_and_exit_1(env: dict[str, str]) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        done = run_command(env, "serve", "--http", "--port", str(port))

    assert done.returncode == 1
    assert done.stderr.startswith(f"Error: Cannot listen on 127.0.0.1:{port}")
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("signum", "code", "word"),
    [(signal.SIGINT, 130, "Interrupted."), (signal.SIGTERM, 143, "Terminated.")],
)
def test_the_http_server_stops_on_a_signal_with_its_exit_code(
    env: dict[str, str], signum: int, code: int, word: str
) -> None:
    with served(env) as server:
        returned, stderr = server.stop(signum)

    assert returned == code
    assert server.stdout_lines == []  # stdout is no protocol here, and stays quiet
    assert stderr.rstrip().endswith(word)
    assert "Traceback" not in stderr
    assert "serves MCP at http://127.0.0.1:" in stderr


def test_remote_list_and_revoke_end_a_clients_access(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    with served(env) as server:
        raw = RawOAuth(server.url)
        tokens = grant(raw, browser, pairing_code(env))
        listed = run_command(env, "remote", "list")
        revoked = run_command(env, "remote", "revoke", tokens["client_id"])
        after = raw.mcp(tokens["access_token"])
        unknown = run_command(env, "remote", "revoke", "no-such-client")
        neither = run_command(env, "remote", "revoke")
        raw.close()

    assert listed.returncode == 0
    assert "Raw client" in listed.stdout
    assert "read;" in listed.stdout
    assert revoked.returncode == 0
    assert "Ended 1 grant" in revoked.stdout
    assert after.status_code == 401
    assert unknown.returncode == 1
    assert neither.returncode == 2


def test_status_says_whether_remote_access_is_set_up_and_who_holds_grants(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    before = run_command(env, "status")
    with served(env) as server:
        raw = RawOAuth(server.url)
        grant(raw, browser, pairing_code(env))
        raw.close()
    after = run_command(env, "status")

    assert "Remote access: no client holds a grant" in before.stdout
    assert "Remote access: 1 client holds a grant" in after.stdout


def test_json_logs_are_one_object_per_line_without_secrets(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    logged = {**env, "OIG_CLOUD_MCP_LOG_FORMAT": "json", "OIG_CLOUD_MCP_LOG_LEVEL": "INFO"}
    with served(logged) as server:
        raw = RawOAuth(server.url)
        tokens = grant(raw, browser, pairing_code(logged))
        call_tool(raw, tokens["access_token"], "get_basic_data")
        raw.close()
        _, stderr = server.stop()

    lines = [line for line in stderr.splitlines() if line and line != "Terminated."]
    entries = [json.loads(line) for line in lines]
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["message"].startswith("POST /token 200") for e in entries)
    assert tokens["access_token"] not in stderr


def test_an_unreadable_state_file_is_a_503_and_one_log_line_not_a_500(
    env: dict[str, str], portal: FakePortal, browser: Browser
) -> None:
    with served(env) as server:
        raw = RawOAuth(server.url)
        tokens = grant(raw, browser, pairing_code(env))
        access = state_dir_of(env) / "remote" / "access.json"
        access.unlink()
        access.mkdir()  # as a mistaken copy or restore might leave it
        answer = raw.http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers={
                "Authorization": f"Bearer {tokens['access_token']}",
                "Accept": "application/json, text/event-stream",
            },
        )
        raw.close()
        log = "".join(server.stderr_lines)

    assert answer.status_code == 503
    assert answer.json()["error"] == "temporarily_unavailable"
    assert "Traceback" not in log
    assert re.search(r"POST /mcp: .*access\.json", log)


def test_the_demo_server_names_the_demo_pairing_command_and_accepts_its_code(
    env: dict[str, str], browser: Browser
) -> None:
    with served(env, "--demo") as server:
        started = "".join(server.stderr_lines)
        raw = RawOAuth(server.url)
        client = raw.client()
        verifier, challenge = pkce()
        page = browser.http.get(raw.authorize_url(client["client_id"], challenge))
        consent_page = browser.http.get(urljoin(server.url, page.headers["location"]))
        code = run_command(env, "--demo", "remote", "pair").stdout.strip()
        tokens = grant(raw, browser, code)
        answer = call_tool(raw, tokens["access_token"], "get_basic_data")
        raw.close()

    assert "type a code from `oig-cloud-mcp --demo remote pair`" in started
    assert "<code>oig-cloud-mcp --demo remote pair</code>" in consent_page.text
    assert answer["structuredContent"]["box_id"]
    assert verifier
