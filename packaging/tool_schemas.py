"""The tools' published schemas, derived once instead of at every start.

`python packaging/tool_schemas.py` asks the SDK for each catalogue tool's input and output
schema (as registration would derive them), leans them (`server.schemas`) and writes them
to `src/oig_cloud_mcp/server/tool_schemas.json`, which the server publishes in
`tools/list`; a test checks the file holds exactly what this derives. Run it after changing
a tool's argument or output model.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from oig_cloud_mcp.server.schemas import PUBLISHED, derived_schemas  # noqa: E402

SCHEMAS = ROOT / "src" / "oig_cloud_mcp" / "server" / PUBLISHED


def rendered(schemas: dict[str, Any]) -> str:
    """The file's text for `schemas`."""
    return json.dumps(schemas, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    SCHEMAS.write_text(rendered(derived_schemas()), encoding="utf-8")
    print(f"{SCHEMAS.relative_to(ROOT)} rewritten")
