"""Same answers: one scripted stdio session against two versions, compared byte for byte.

`python benchmarks/same_answers.py [OLD] [NEW] [-v] [--dump DIR]` (defaults: b41eab0, the
last commit before the issue 14 redesign, and bb74e18, its end). OLD and NEW are commits
of this repository (`HEAD`, `main` too), each `git archive`d and pip-installed into a venv
of its own (kept under the temp directory, so a rerun reuses it), or the path of an
installed `oig-cloud-mcp` (or of the venv holding one).

Each version runs the same session as a subprocess over stdio, one after the other,
against one fake portal (`tests/fake_portal.py` of this tree, reset to the same state for
each run, realistic history days; its clock is the sample box's last contact, 2025-04-05
20:55, so the dates asked for are days up to it), with the same environment: a home and
XDG directories of its own, the login from OIG_CLOUD_EMAIL/OIG_CLOUD_PASSWORD, the owner
whitelisted, three of the four write tools enabled, the live-data cache off (every read
reaches the portal). `initialize` and `tools/list` are shown, not counted (issue 14
rewrote the instructions and shrank the list on purpose). Every other answer line is
compared byte for byte after masking only what the server derives from the wall clock
(ages of the last contact and of a notice, when a change was sent, today's date); each
mask is printed. One row per request; `-v` adds a unified diff of each differing answer,
`--dump DIR` writes both runs' answer lines. Exits 1 if any counted answer differs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    ROOT,
    FakePortal,
    RunningPortal,
    Server,
    portal_env,
    temp_home,
)
from tests.fake_portal import BOX_ID

CACHE = Path(tempfile.gettempdir()) / "oig-same-answers"
WRITES = "set_box_mode,set_grid_delivery,set_battery_grid_charging"
"""set_boiler_mode stays disabled: calling it is one of the error cases."""


@dataclass(frozen=True)
class Step:
    """One JSON-RPC request of the session."""

    label: str
    method: str
    params: dict[str, Any] = field(default_factory=dict)
    compared: bool = True


def tool(label: str, name: str, **arguments: Any) -> Step:
    return Step(label, "tools/call", {"name": name, "arguments": arguments})


SESSION = [
    # changed on purpose by issue 14 (the context budget): shown, not counted
    Step("initialize (2025-06-18)", "initialize", compared=False),
    Step("tools/list", "tools/list", compared=False),
    # reads, with typical arguments
    tool("get_basic_data", "get_basic_data"),
    tool("get_basic_data box_id", "get_basic_data", box_id=BOX_ID),
    tool("get_energy_report today", "get_energy_report", period="today"),
    tool("get_energy_report this_month", "get_energy_report", period="this_month"),
    tool("get_energy_report this_year", "get_energy_report", period="this_year"),
    tool("get_day_profile a past day", "get_day_profile", date="2025-04-04"),
    tool("get_day_profile the portal's today", "get_day_profile", date="2025-04-05"),
    tool(
        "get_extended_data a week",
        "get_extended_data",
        start_date="2025-03-29",
        end_date="2025-04-04",
    ),
    tool(
        "get_extended_data batt, 4 samples",
        "get_extended_data",
        start_date="2025-04-04",
        end_date="2025-04-05",
        series=["batt"],
        max_samples=4,
    ),
    tool("get_notifications", "get_notifications"),
    tool("get_notifications warning, 2", "get_notifications", limit=2, min_severity="warning"),
    # what a model gets wrong
    tool("error: unknown box id", "get_basic_data", box_id="1234567890"),
    tool("error: bad box id", "get_basic_data", box_id="box-1"),
    tool("error: bad date", "get_day_profile", date="2025-02-30"),
    tool("error: a day in the future", "get_day_profile", date="2999-01-01"),
    tool(
        "error: history over 31 days",
        "get_extended_data",
        start_date="2025-02-01",
        end_date="2025-04-04",
    ),
    tool("error: unknown argument", "get_notifications", limit=5, colour="red"),
    tool("error: unknown tool", "get_weather"),
    tool("error: disabled write tool", "set_boiler_mode", mode="manual"),
    tool("error: write argument out of range", "set_battery_grid_charging", target_pct=5),
    # writes: preview, then confirm
    tool("set_box_mode preview", "set_box_mode", mode="Home 3"),
    tool("set_box_mode confirm", "set_box_mode", mode="Home 3", confirm=True),
    tool("set_box_mode again (nothing to change)", "set_box_mode", mode="Home 3"),
    tool("set_grid_delivery preview", "set_grid_delivery", state="limited", limit_w=3000),
    tool(
        "set_grid_delivery confirm",
        "set_grid_delivery",
        state="limited",
        limit_w=3000,
        confirm=True,
    ),
    tool("set_battery_grid_charging preview", "set_battery_grid_charging", target_pct=80),
    tool(
        "set_battery_grid_charging confirm without preview",
        "set_battery_grid_charging",
        target_pct=90,
        confirm=True,
    ),
    tool("get_basic_data after the writes", "get_basic_data"),
    # resources and prompts
    Step("resources/list", "resources/list"),
    Step("resources/templates/list", "resources/templates/list"),
    Step("resources/read modes guide", "resources/read", {"uri": "oig://guide/modes"}),
    Step("resources/read box config", "resources/read", {"uri": f"oig://box/{BOX_ID}/config"}),
    Step(
        "resources/read energy-flow view",
        "resources/read",
        {"uri": "ui://oig-cloud/energy-flow.html"},
    ),
    Step(
        "resources/read day-curves view",
        "resources/read",
        {"uri": "ui://oig-cloud/day-curves.html"},
    ),
    Step("prompts/list", "prompts/list"),
    Step("prompts/get daily_check_in", "prompts/get", {"name": "daily_check_in"}),
    Step("prompts/get monthly_report", "prompts/get", {"name": "monthly_report"}),
    Step(
        "prompts/get prepare_for_outage box_id",
        "prompts/get",
        {"name": "prepare_for_outage", "arguments": {"box_id": BOX_ID}},
    ),
    Step("prompts/get why_bypass", "prompts/get", {"name": "why_bypass"}),
    Step(
        "prompts/get error: bad box id",
        "prompts/get",
        {"name": "daily_check_in", "arguments": {"box_id": "box-1"}},
    ),
]

MASKS = [
    # seconds since the box's last contact (the fixture's lastcall is a fixed past time)
    ("data_age_s", re.compile(rb'"data_age_s": ?\d+'), b'"data_age_s":"<masked>"'),
    # the same age in words, in the text summary and the stale-contact note
    (
        "contact age in words",
        re.compile(rb"(?<=\()\d[\w ,]* ago(?=\))|(?<=reported )\d[\w ,]* ago"),
        b"<masked> ago",
    ),
    # the age of the bypass notice get_notifications bases its bypass state on (issue 17)
    ("notice age", re.compile(rb'(?<=\\", )\d[\w ,]* ago(?=;)'), b"<masked> ago"),
    # today's date, which a day in the future is told about (changes only at midnight)
    ("today's date", re.compile(rb"(?<=today is )\d{4}-\d{2}-\d{2}"), b"<masked>"),
    # when a confirmed change was sent (the server's clock)
    ("requested_at", re.compile(rb'"requested_at": ?"[^"]*"'), b'"requested_at":"<masked>"'),
    ("sent at HH:MM", re.compile(rb"(?<=\bsent at )\d{1,2}:\d{2}"), b"<masked>"),
]


def mask(line: bytes) -> tuple[bytes, list[str]]:
    """The line with wall-clock values replaced, and what was replaced."""
    masked: list[str] = []
    for name, pattern, replacement in MASKS:
        line, count = pattern.subn(replacement, line)
        if count:
            masked.append(f"{name} x{count}")
    return line, masked


# -- installing a version ---------------------------------------------------------------


def git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def install(commit: str) -> Path:
    """The console script of `commit` installed into a cached venv of its own."""
    place = CACHE / commit
    script = place / "venv" / "bin" / "oig-cloud-mcp"
    done = place / "installed"
    if done.exists() and script.exists():
        return script
    print(f"installing {commit[:7]} into {place} (once; about a minute)", file=sys.stderr)
    source = place / "src"
    place.mkdir(parents=True, exist_ok=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit],
        check=True,
        capture_output=True,
    ).stdout
    archive_path = place / "src.tar"
    archive_path.write_bytes(archive)
    with tarfile.open(archive_path) as tar:
        tar.extractall(source, filter="data")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(place / "venv")], check=True)
    log = place / "pip.log"
    with log.open("wb") as output:
        pip = [str(place / "venv" / "bin" / "pip"), "install", "-q", str(source)]
        if subprocess.run(pip, stdout=output, stderr=subprocess.STDOUT).returncode:
            raise SystemExit(f"pip could not install {commit[:7]}; see {log}")
    done.write_text(commit + "\n")
    return script


def resolve(spec: str) -> tuple[str, Path]:
    """A label and the `oig-cloud-mcp` to run for a commit, a venv or a script path."""
    path = Path(spec)
    if path.is_dir() and (path / "bin" / "oig-cloud-mcp").exists():
        path = path / "bin" / "oig-cloud-mcp"
    if path.is_file():
        return str(path), path
    try:
        commit = git("rev-parse", "--verify", f"{spec}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"{spec} is neither a commit nor an installed oig-cloud-mcp") from None
    label = spec if spec.startswith(commit[:7]) else f"{spec} ({commit[:7]})"
    return label, install(commit)


# -- running the session ----------------------------------------------------------------


def run_session(script: Path, running: RunningPortal) -> tuple[list[bytes], int]:
    """Each step's answer line, from a fresh fake portal, and the requests it received."""
    running.portal = FakePortal(history_mode="day")
    with temp_home() as home:
        env = portal_env(
            Path(home),
            running.url,
            OIG_CLOUD_MCP_ALLOW_WRITES=WRITES,
            OIG_CLOUD_MCP_CACHE_TTL="0",
        )
        with Server([str(script)], env) as server:
            server.initialize()
            answers = [server.last_line]
            for step in SESSION[1:]:
                server.request(step.method, step.params)
                answers.append(server.last_line)
    return answers, len(running.portal.log)


def pretty(line: bytes) -> list[str]:
    """An answer line as indented JSON lines, for a readable diff."""
    text = json.dumps(json.loads(line), indent=1, ensure_ascii=False)
    return [f"{row}\n" for row in text.splitlines()]


def uncounted(step: Step, before: bytes, after: bytes) -> str:
    """What is still the same in an answer that changed on purpose."""
    old, new = json.loads(before)["result"], json.loads(after)["result"]
    if step.method == "initialize":
        rest = {k: v for k, v in old.items() if k != "instructions"} == {
            k: v for k, v in new.items() if k != "instructions"
        }
        return f"instructions {'same' if old == new else 'differ'}, the rest {_same(rest)}"
    names = [t["name"] for t in old["tools"]] == [t["name"] for t in new["tools"]]
    return f"{len(before):,} B -> {len(after):,} B, tool names {_same(names)}"


def _same(flag: bool) -> str:
    return "same" if flag else "DIFFER"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", nargs="?", default="b41eab0", help="commit, venv or script")
    parser.add_argument("new", nargs="?", default="bb74e18", help="commit, venv or script")
    parser.add_argument("-v", "--verbose", action="store_true", help="diff differing answers")
    parser.add_argument("--dump", type=Path, help="write both runs' answer lines to this folder")
    args = parser.parse_args()
    (old_label, old), (new_label, new) = resolve(args.old), resolve(args.new)
    with RunningPortal(FakePortal()) as running:
        old_answers, old_requests = run_session(old, running)
        new_answers, new_requests = run_session(new, running)

    if args.dump:
        args.dump.mkdir(parents=True, exist_ok=True)
        (args.dump / "old.jsonl").write_bytes(b"".join(old_answers))
        (args.dump / "new.jsonl").write_bytes(b"".join(new_answers))
    print(f"\nSame answers over stdio: {old_label} against {new_label}")
    print(f"portal requests per run: {old_requests} / {new_requests}")
    width = max(len(step.label) for step in SESSION)
    print(f"\n{'#':>2}  {'request':<{width}}  identical  masked (wall clock)")
    print("-" * (width + 40))
    differing: list[tuple[Step, bytes, bytes]] = []
    compared = same = 0
    for number, (step, before, after) in enumerate(
        zip(SESSION, old_answers, new_answers, strict=True)
    ):
        before_masked, masks = mask(before)
        after_masked, new_masks = mask(after)
        identical = before_masked == after_masked
        if not step.compared:
            note = uncounted(step, before_masked, after_masked)
            print(f"{number:>2}  {step.label:<{width}}  not counted: {note}")
            if step.method == "initialize" and not identical:
                differing.append((step, before_masked, after_masked))
            continue
        compared += 1
        same += identical
        if not identical:
            differing.append((step, before_masked, after_masked))
        masked = ", ".join(masks) + ("" if masks == new_masks else f" / {', '.join(new_masks)}")
        print(f"{number:>2}  {step.label:<{width}}  {'yes' if identical else 'NO':<9}  {masked}")
    print(f"\n{same} of {compared} answers identical (initialize and tools/list not counted)")
    if args.verbose:
        for step, before, after in differing:
            print(f"\n=== {step.label}")
            sys.stdout.writelines(
                difflib.unified_diff(pretty(before), pretty(after), old_label, new_label)
            )
    return 0 if same == compared else 1


if __name__ == "__main__":
    sys.exit(main())
