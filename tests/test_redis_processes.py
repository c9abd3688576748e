"""Several replica processes sharing one real redis-server, against the fake portal: what
a hosted deployment promises (one login per session expiry, one portal request per cache
window, one write per change, a killed replica's lock freed by its lease, no resend of a
change whose outcome is unknown, data kept across a Redis restart, one clear sentence
while Redis is down)."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .fake_portal import FakePortal
from .helpers.fakes import EMAIL, PASSWORD
from .helpers.redis_servers import RedisServer

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent


class Replica:
    """One `tests.helpers.redis_worker` process: commands in, one JSON answer per command out."""

    def __init__(self, config: dict[str, Any]) -> None:
        home = Path(config["home"])
        home.mkdir(parents=True)
        self.stderr_path = home / "stderr.txt"
        with self.stderr_path.open("w") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.helpers.redis_worker", json.dumps(config)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                cwd=ROOT,
                env={**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
                text=True,
            )
        self._answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self._pump_thread = threading.Thread(target=self._pump, daemon=True)
        self._pump_thread.start()

    def wait_ready(self) -> Replica:
        assert self.receive(timeout=60) == {"ready": True}
        return self

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._answers.put(json.loads(line))

    def send(self, op: str, **arguments: Any) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **arguments}) + "\n")
        self.process.stdin.flush()

    def receive(self, timeout: float = 60) -> dict[str, Any]:
        try:
            return self._answers.get(timeout=timeout)
        except queue.Empty:
            stderr = self.stderr_path.read_text()[-2000:]
            raise AssertionError(f"no answer within {timeout} s; stderr: {stderr}") from None

    def ask(self, op: str, **arguments: Any) -> dict[str, Any]:
        self.send(op, **arguments)
        return self.receive()

    def close(self) -> None:
        """Close its stdin (it stops), or kill it if it does not."""
        assert self.process.stdin is not None
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._pump_thread.join(timeout=5)
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None and not pipe.closed:
                with contextlib.suppress(OSError):
                    pipe.close()


def all_at_once(replicas: list[Replica], op: str, **arguments: Any) -> list[dict[str, Any]]:
    """Send the command to every replica before reading any answer."""
    for replica in replicas:
        replica.send(op, **arguments)
    return [replica.receive() for replica in replicas]


@pytest.fixture
def start(
    real_redis: RedisServer, running_portal: Any, portal: FakePortal, tmp_path: Path
) -> Iterator[Any]:
    """Start replicas on this test's Redis and portal: `start(count, **config)`."""
    started: list[Replica] = []

    def replicas(count: int, **config: Any) -> list[Replica]:
        made = [
            Replica(
                {
                    "redis_url": real_redis.url,
                    "portal_url": running_portal.url,
                    "email": EMAIL,
                    "password": PASSWORD,
                    "home": str(tmp_path / f"replica-{len(started) + n}"),
                    "principal": f"replica-{len(started) + n}",
                    **config,
                }
            )
            for n in range(count)
        ]
        started.extend(made)  # they start side by side
        return [replica.wait_ready() for replica in made]

    yield replicas
    for replica in started:
        replica.close()


def errors(answers: list[dict[str, Any]]) -> list[str]:
    return [a["error"] for a in answers if not a["ok"]]


def test_three_replicas_renew_each_of_ten_session_expiries_with_exactly_one_login(
    start: Any, portal: FakePortal
) -> None:
    portal.login_delay_s = 0.2  # the others find the session dead while one logs in
    three = start(3, cache_ttl_s=0.0)
    first = all_at_once(three, "read")
    logins_before, failed = portal.count("Login.php"), []
    for _ in range(10):
        portal.expire_sessions()
        failed += errors(all_at_once(three, "read"))

    assert errors(first) == []
    assert logins_before == 1
    assert portal.count("Login.php") - logins_before == 10
    assert failed == []


def test_three_replicas_reading_at_once_within_the_cache_window_ask_the_portal_once(
    start: Any, portal: FakePortal
) -> None:
    portal.delay_s = 0.2
    three = start(3, cache_ttl_s=20.0)

    answers = all_at_once(three, "read") + all_at_once(three, "read")

    assert errors(answers) == []
    assert portal.count("json.php") == 1
    assert portal.count("Login.php") == 1


def test_a_wrong_password_across_replicas_is_rejected_at_most_three_times(
    start: Any, portal: FakePortal
) -> None:
    three = start(3, password="not-the-pw-4711", cache_ttl_s=0.0)

    answers = [a for _ in range(5) for a in all_at_once(three, "read")]

    assert portal.count("Login.php") <= 3
    assert len(errors(answers)) == 15
    assert sum("rejected the e-mail or password" in e for e in errors(answers)) == portal.count(
        "Login.php"
    )
    assert all("rejected the e-mail" in e or "locked for" in e for e in errors(answers))
    assert not any("4711" in e for e in errors(answers))


def test_the_same_change_confirmed_by_two_replicas_at_once_is_written_once(
    start: Any, portal: FakePortal
) -> None:
    portal.write_delay_s = 0.5
    two = start(2, cache_ttl_s=0.0)
    outcomes = []
    for mode in ("Home UPS", "Home 2", "Home 3"):
        for replica in two:  # each previews it first, as its user is shown
            assert replica.ask("preview", mode=mode)["ok"]
        answers = all_at_once(two, "confirm", mode=mode)
        assert errors(answers) == []
        outcomes.append(sorted(a["result"]["outcome"] for a in answers))

    assert [r.json()["value"] for r in portal.write_requests()] == [3, 1, 2]
    assert outcomes == [["unchanged", "written"]] * 3


def test_a_replica_killed_holding_the_write_lock_frees_it_by_its_lease_and_is_not_resent(
    start: Any, portal: FakePortal, real_redis: RedisServer
) -> None:
    portal.write_delay_s = 30  # the portal has the request but has not answered yet
    portal.apply_delay_s = 3600
    killed, survivor = start(2, lease_s=5.0)
    assert killed.ask("preview", mode="Home UPS")["ok"]
    killed.send("confirm", mode="Home UPS")
    deadline = time.monotonic() + 30
    while not portal.write_requests() and time.monotonic() < deadline:
        time.sleep(0.02)
    killed.process.kill()  # SIGKILL while it holds the write lock: no cleanup runs
    killed.process.wait()
    portal.write_delay_s = 0

    survivor.ask("preview", mode="Home UPS")
    again = survivor.ask("confirm", mode="Home UPS")
    stored = survivor.ask("pending")["result"]
    survivor.ask("preview", mode="Home 2")
    redis = real_redis.client()
    (lock,) = redis.keys("oig:lock:write:*")
    lease_left_s = redis.pttl(lock) / 1000  # the killed replica's lock, never renewed again
    other = survivor.ask("confirm", mode="Home 2")  # needs the write lock
    redis.close()

    assert again["result"]["outcome"] == "unchanged"
    # the dead replica's lease has not run out: as far as anyone can tell, it is sending
    assert "being sent now" in again["result"]["message"]
    assert "not sent twice" in again["result"]["message"]
    assert [(c["requested"], c["status"]) for c in stored] == [("Home UPS", "sending")]
    assert lease_left_s > 0
    assert other["ok"], other
    assert other["result"]["outcome"] == "written"
    assert other["elapsed_s"] >= lease_left_s - 0.1  # it waited for that lease to run out
    assert [r.json()["value"] for r in portal.write_requests()] == [3, 1]


def test_data_survives_a_redis_restart_and_replicas_carry_on(
    start: Any, portal: FakePortal, real_redis: RedisServer
) -> None:
    (first,) = start(1, cache_ttl_s=0.0)
    assert first.ask("read")["ok"]
    assert first.ask("preview", mode="Home UPS")["ok"]
    assert first.ask("confirm", mode="Home UPS")["result"]["outcome"] == "written"
    assert first.ask("put_record", key="pairing-1")["ok"]

    real_redis.stop()
    real_redis.start()  # same port, same append-only file
    (late,) = start(1, cache_ttl_s=0.0)  # knows only what Redis kept
    late_read = late.ask("read")
    first_read = first.ask("read")  # its connections were cut: it reconnects

    assert late_read["ok"], late_read
    assert first_read["ok"], first_read
    assert portal.count("Login.php") == 1  # the session was kept: no login after the restart
    assert [p["requested"] for p in late_read["result"]["pending_changes"]] == ["Home UPS"]
    assert late.ask("get_record", key="pairing-1")["result"] is True


def test_while_redis_is_down_each_call_fails_with_one_clear_sentence_and_then_recovers(
    start: Any, portal: FakePortal, real_redis: RedisServer
) -> None:
    (replica,) = start(1, cache_ttl_s=0.0, redis_timeout_s=1.0)
    assert replica.ask("read")["ok"]
    assert replica.ask("preview", mode="Home UPS")["ok"]

    real_redis.kill()
    down = [replica.ask(op, mode="Home UPS") for op in ("read", "confirm", "read")]
    real_redis.start()
    back = replica.ask("read")

    sentence = (
        f"The shared state (Redis at 127.0.0.1:{real_redis.port}/0) is not answering; "
        "try again in a moment."
    )
    assert [(a["ok"], a["type"]) for a in down] == [(False, "StateUnavailableError")] * 3
    assert all(a["error"] == sentence for a in down)
    assert all(a["elapsed_s"] < 5 for a in down)
    assert portal.write_requests() == []  # nothing written without its recorded intent
    assert back["ok"], back
