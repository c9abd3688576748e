"""Check that the wheel holds exactly the package: `python packaging/check_wheel.py dist/*.whl`.

Every file under `src/oig_cloud_mcp/` (sources, the views, the icon, the certificate,
py.typed) must be in the wheel, and nothing else but the wheel's own metadata.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "oig_cloud_mcp"


def expected() -> set[str]:
    """The package's files as wheel paths (caches left out)."""
    return {
        f"oig_cloud_mcp/{path.relative_to(PACKAGE).as_posix()}"
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def problems(wheel: Path) -> list[str]:
    """What is missing from the wheel or should not be in it."""
    names = {n for n in zipfile.ZipFile(wheel).namelist() if not n.endswith("/")}
    shipped = {n for n in names if ".dist-info/" not in n}
    want = expected()
    return [f"missing: {n}" for n in sorted(want - shipped)] + [
        f"unexpected: {n}" for n in sorted(shipped - want)
    ]


if __name__ == "__main__":
    (wheel,) = (Path(arg) for arg in sys.argv[1:])
    found = problems(wheel)
    if found:
        sys.stderr.write("\n".join(found) + "\n")
        sys.exit(1)
    sys.stdout.write(f"{wheel.name}: {len(expected())} package files, nothing else\n")
