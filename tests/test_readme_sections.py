"""The README's generated sections say what the code says: the layout (from the
import-linter contracts) and the tool tables (from the catalogue)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

from readme_sections import README, rendered  # noqa: E402


def test_the_readme_holds_the_layout_and_tool_tables_the_code_renders() -> None:
    readme = README.read_text(encoding="utf-8")

    assert readme == rendered(readme), "run `python packaging/readme_sections.py`"


def test_every_tool_of_the_catalogue_has_a_row() -> None:
    from oig_cloud_mcp.tools.catalogue import CATALOGUE

    readme = README.read_text(encoding="utf-8")
    for tool in CATALOGUE:
        assert f"| `{tool.name}` |" in readme
