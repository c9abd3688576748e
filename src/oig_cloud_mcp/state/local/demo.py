"""The demo box's settings in `demo_box.json`, validated like every state file."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, RootModel

from ...domain.base import DEFERRED
from ...portal.demo import DemoTables
from .state_file import StateFile, json_codec


class DemoTablesFile(RootModel[dict[str, dict[str, int]]]):
    """`demo_box.json`: the settings tables the demo box remembers between runs."""

    model_config = DEFERRED

    root: dict[str, dict[str, int]] = Field(default_factory=dict)


class DemoFile:
    """The demo portal's `DemoMemory` in the state directory."""

    def __init__(self, path: Path) -> None:
        self.file = StateFile(path, json_codec(DemoTablesFile))

    def load(self) -> DemoTables:
        """The tables kept so far."""
        return self.file.read().root

    def save(self, tables: DemoTables) -> None:
        """Keep `tables`."""
        self.file.update(lambda _: DemoTablesFile(tables))
