"""What the tests share, one module per job; no test module imports another.

- `fakes`: the test account, an in-memory keyring, a clock moved by hand.
- `sample`: the recorded json.php answer of one box, and the time it was read.
- `settings`: settings with write tools on; where a server process keeps its state.
- `mcp_calls`: calling tools on an in-process server as a host does.
- `commands`: the installed `oig-cloud-mcp` command run as a subprocess.
- `stdio_session`: one stdio server process driven with raw JSON-RPC lines.
- `threaded`: free loopback ports and ASGI apps served by uvicorn in a thread.
- `https_servers`: a test certificate authority and an HTTPS server.
- `remote`: remote mode served by the command or in-process.
- `oauth`: the owner's browser on the consent page and OAuth clients, SDK and by hand.
- `caddy`: the README's Caddy reverse proxy, run for real.
- `required`: programs some tests need, found or the test skipped (failed in CI).
- `mocked_portal`: OIG Cloud's addresses and a session keeper for pytest-httpx tests.
- `stored_changes`: pending changes as the state ports keep them.
- `redis_servers`: fakeredis and real `redis-server` processes.
- `households`: many homes served on files or Redis, and households signed in to them.
- `otel`: an in-memory OpenTelemetry SDK installed for a test.
- `otlp_receiver`: a real OTLP/HTTP receiver on loopback (protobuf decoded).
- `redis_worker`, `state_probe`: programs the tests start as subprocesses.

The fake OIG Cloud itself is `tests/fake_portal.py` (with `tests/fake_history.py`).
"""
