"""What `call` prints, as gh does it: the text summary for a person by default, and with
`--json` the structured result alone, for a script (stdout then parses as one JSON value,
also when a change is previewed and sent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .helpers.commands import run_all

pytestmark = pytest.mark.e2e
DAY = ["--demo", "call", "get_day_profile", "date=2025-06-24"]


@pytest.fixture
def home(tmp_path: Path) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_STATE_HOME": str(tmp_path / "state")}


def test_a_person_gets_the_summary_and_a_script_asking_for_json_gets_only_json(
    home: dict[str, str],
) -> None:
    person, script = run_all([(DAY, home), ([*DAY, "--json"], home)])

    assert person.returncode == 0, person
    assert len(person.stdout.splitlines()) < 30  # the JSON after it made 217 lines
    assert not any(line.lstrip().startswith(('"', "{", "}")) for line in person.stdout.splitlines())
    assert script.returncode == 0, script
    assert len(json.loads(script.stdout)["hours"]) == 24
    assert script.stderr == ""


def test_a_change_sent_with_yes_and_json_prints_only_json_on_stdout(home: dict[str, str]) -> None:
    change = ["--demo", "--allow-writes", "set_box_mode", "call", "set_box_mode", "mode=home3"]

    (sent,) = run_all([([*change, "confirm=true", "--yes", "--json"], home)])

    assert sent.returncode == 0, sent
    assert json.loads(sent.stdout)["outcome"] == "written"
    assert "Preview only, nothing was changed" in sent.stderr  # shown, but not to the script
