"""Publishing metadata agrees with itself: one home, one version, the real tools and prompts.

The canonical home is the GitHub repository named in pyproject.toml's `Repository` URL; the
PyPI URLs, the README's `mcp-name` marker, `server.json` and the extension manifest must
all name it, and carry the package version.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tomllib
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from oig_cloud_mcp import HOMEPAGE, __version__, config
from oig_cloud_mcp.config import Settings
from oig_cloud_mcp.domain.models import WRITE_TOOLS
from oig_cloud_mcp.domain.write_plans import EXPORT_LEGAL_NOTE
from oig_cloud_mcp.server import build_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "packaging"))

import build_mcpb  # noqa: E402

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def server_json() -> dict[str, Any]:
    return json.loads((ROOT / "server.json").read_text())  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return build_mcpb.manifest()


def home(project: dict[str, Any]) -> tuple[str, str]:
    match = re.fullmatch(r"https://github\.com/([\w.-]+)/([\w.-]+)", project["urls"]["Repository"])
    assert match, project["urls"]["Repository"]
    return match[1], match[2]


def test_every_url_names_the_one_canonical_home(
    project: dict[str, Any], server_json: dict[str, Any], manifest: dict[str, Any]
) -> None:
    owner, repo = home(project)
    base = f"https://github.com/{owner}/{repo}"
    urls = project["urls"]
    assert urls["Homepage"] == base == HOMEPAGE  # what serverInfo.websiteUrl says
    assert urls["Issues"] == f"{base}/issues"
    assert urls["Changelog"] == f"{base}/blob/main/CHANGELOG.md"
    assert server_json["name"] == f"io.github.{owner}/{repo}"
    assert server_json["repository"] == {"url": base, "source": "github"}
    assert server_json["websiteUrl"] == base
    assert manifest["repository"]["url"] == base
    assert manifest["homepage"] == base
    assert manifest["support"] == f"{base}/issues"
    (marker,) = re.findall(r"mcp-name: (\S+) -->", (ROOT / "README.md").read_text())
    assert marker == server_json["name"]


def test_every_file_carries_the_package_version(
    server_json: dict[str, Any], manifest: dict[str, Any]
) -> None:
    (package,) = server_json["packages"]
    assert server_json["version"] == package["version"] == manifest["version"] == __version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)


def test_pypi_metadata_follows_pep_639_and_fits_the_registries(project: dict[str, Any]) -> None:
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]
    assert not any(c.startswith("License ::") for c in project["classifiers"])
    assert len(project["description"]) <= 100
    assert all(author.get("email") for author in project["authors"])


def test_server_json_is_a_stdio_pypi_package_run_with_uvx(server_json: dict[str, Any]) -> None:
    assert server_json["$schema"].endswith("/2025-12-11/server.schema.json")
    assert re.fullmatch(r"[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+", server_json["name"])
    assert 1 <= len(server_json["description"]) <= 100
    (package,) = server_json["packages"]
    assert package["registryType"] == "pypi"
    assert package["identifier"] == "oig-cloud-mcp"
    assert package["runtimeHint"] == "uvx"
    assert package["transport"] == {"type": "stdio"}
    variables = {v["name"]: v for v in package["environmentVariables"]}
    known = {value for name, value in vars(config).items() if name.startswith("ENV_")}
    assert set(variables) <= known
    assert variables["OIG_CLOUD_PASSWORD"]["isSecret"] is True
    assert not any(v.get("isSecret") for n, v in variables.items() if n != "OIG_CLOUD_PASSWORD")


async def test_the_manifest_lists_the_servers_real_tools_and_prompts(
    manifest: dict[str, Any],
) -> None:
    settings = Settings(demo=True, allowed_writes=frozenset(WRITE_TOOLS))
    async with Client(build_server(settings), mode="legacy") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        prompts = {p.name for p in (await client.list_prompts()).prompts}

    assert {t["name"] for t in manifest["tools"]} == tools
    assert {p["name"] for p in manifest["prompts"]} == prompts
    assert set(WRITE_TOOLS) <= tools
    assert all(p["text"] for p in manifest["prompts"])


def test_the_extension_whitelists_the_account_it_is_given(manifest: dict[str, Any]) -> None:
    mcp = manifest["server"]["mcp_config"]
    env = mcp["env"]
    assert env["OIG_CLOUD_EMAIL"] == env["OIG_CLOUD_MCP_WHITELIST"] == "${user_config.email}"
    assert env["OIG_CLOUD_PASSWORD"] == "${user_config.password}"
    user = manifest["user_config"]
    assert user["password"]["sensitive"] is True
    used = set(re.findall(r"\$\{user_config\.(\w+)\}", json.dumps(mcp)))
    assert used == set(user)
    writes = [key for key in user if key.startswith("allow_")]
    assert sorted(writes) == sorted(f"allow_{tool}" for tool in WRITE_TOOLS)
    assert all(user[key]["default"] is False for key in writes)


def test_the_extension_settings_enable_exactly_the_ticked_write_tools(
    manifest: dict[str, Any],
) -> None:
    template = manifest["server"]["mcp_config"]["env"]["OIG_CLOUD_MCP_ALLOW_WRITES"]
    ticked = {"allow_set_box_mode": "true"}
    value = re.sub(r"\$\{user_config\.(\w+)\}", lambda m: ticked.get(m[1], "false"), template)
    assert config.parse_allowed_writes(value) == frozenset({"set_box_mode"})
    untouched = re.sub(r"\$\{user_config\.(\w+)\}", "false", template)
    assert config.parse_allowed_writes(untouched) == frozenset()
    assert config.parse_allowed_writes(template) == frozenset()  # placeholders left unfilled


def test_the_demo_box_switch_works_without_an_account(manifest: dict[str, Any]) -> None:
    user = manifest["user_config"]
    for field in ("email", "password"):
        assert user[field]["required"] is False
        assert "leave empty only to use the demo box" in user[field]["description"]
    assert user["demo"]["required"] is False


def test_the_extension_tells_the_server_it_runs_as_one(
    manifest: dict[str, Any], server_json: dict[str, Any]
) -> None:
    env = manifest["server"]["mcp_config"]["env"]
    assert env[config.ENV_EXTENSION] == "1"
    assert Settings.from_env(env).extension is True  # placeholders unfilled: still read
    (package,) = server_json["packages"]
    assert config.ENV_EXTENSION not in {v["name"] for v in package["environmentVariables"]}


def test_the_grid_export_switch_carries_the_distributor_approval_warning(
    manifest: dict[str, Any],
) -> None:
    user = manifest["user_config"]
    assert EXPORT_LEGAL_NOTE in user["allow_set_grid_delivery"]["description"]
    others = [key for key in user if key.startswith("allow_") and key != "allow_set_grid_delivery"]
    assert not any("distributor" in user[key]["description"] for key in others)


GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="needs git")
STRAYS = ("src/pkg/.env", "src/pkg/secret.txt", "src/pkg/demo/demo_box.json", "src/.DS_Store")


def source_tree(root: Path) -> None:
    """A package with what a developer's checkout also holds: secrets and local state."""
    for name in ("src/pkg/__init__.py", "src/pkg/ui/view.html", "src/pkg/py.typed", *STRAYS):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x\n")
    (root / "src/pkg/__pycache__").mkdir()
    (root / "src/pkg/__pycache__/m.cpython-311.pyc").write_bytes(b"\0")


def staged(root: Path) -> set[str]:
    return {str(path) for path in build_mcpb.source_files(root)}


@needs_git
def test_a_git_checkout_stages_only_the_files_git_tracks(tmp_path: Path) -> None:
    source_tree(tmp_path)
    git = [str(GIT), "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "src/pkg/__init__.py", "src/pkg/ui/view.html"], check=True)

    assert staged(tmp_path) == {"src/pkg/__init__.py", "src/pkg/ui/view.html"}


def test_outside_git_every_file_but_secrets_state_and_caches_is_staged(tmp_path: Path) -> None:
    source_tree(tmp_path)

    assert staged(tmp_path) == {"src/pkg/__init__.py", "src/pkg/ui/view.html", "src/pkg/py.typed"}


@needs_git
def test_an_unpacked_source_archive_stages_the_same_files_as_this_checkout(
    tmp_path: Path,
) -> None:
    archive = subprocess.run(
        [str(GIT), "-C", str(ROOT), "archive", "HEAD", "src"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(tmp_path, filter="data")

    assert "src/oig_cloud_mcp/server/tool_schemas.json" in staged(tmp_path)
    assert staged(tmp_path) == staged(ROOT)


@needs_git
def test_this_checkout_stages_exactly_its_tracked_package_files() -> None:
    tracked = subprocess.run(
        [str(GIT), "-C", str(ROOT), "ls-files", "--", "src"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    present = {name for name in tracked if (ROOT / name).is_file()}

    assert staged(ROOT) == present
    assert "src/oig_cloud_mcp/__main__.py" in present  # the manifest's entry point


def test_the_readme_documents_every_environment_variable() -> None:
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Environment variables", 1)[1].split("\n## ", 1)[0]
    names = {value for name, value in vars(config).items() if name.startswith("ENV_")}
    assert {name for name in names if f"`{name}`" not in table} == set()
    assert "set by the Claude Desktop extension" in table


def readme_section(title: str) -> str:
    readme = (ROOT / "README.md").read_text()
    return readme.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_until_a_release_exists_the_readme_installs_from_a_clone_or_the_git_url(
    project: dict[str, Any],
) -> None:
    """No install method may need a release the changelog says was not made yet: the first
    way installs from the repository (and says how to update it), and every way that needs
    PyPI or a GitHub release says so in its heading."""
    owner, repo = home(project)
    intro, *ways = readme_section("Install").split("\n### ")
    released = re.search(r"^## \[\d", (ROOT / "CHANGELOG.md").read_text(), re.M)
    registry = ("uv tool install oig-cloud-mcp", "uvx oig-cloud-mcp", "pipx install oig-cloud-mcp")

    for command in (
        "uv tool install .",
        "pipx install .",
        f"uv tool install git+https://github.com/{owner}/{repo}",
        f"pipx install git+https://github.com/{owner}/{repo}",
        "uv tool upgrade oig-cloud-mcp",  # updates, the way it was installed
        "uv tool install --reinstall .",
        "pipx install --force .",
    ):
        assert command in ways[0], command
    if not released:
        assert "not on PyPI yet" in intro
        for way in ways:
            heading = way.splitlines()[0]
            needs_release = "releases/latest" in way or any(r in way for r in registry)
            assert not needs_release or "released" in heading, heading


def test_the_readme_does_not_offer_claude_ai_for_a_stdio_server() -> None:
    app = " ".join(readme_section("See it: the MCP App").split())
    mentions = [s for s in re.split(r"(?<=[.;])\s", app) if "claude.ai" in s]

    assert mentions, "say where claude.ai stands"
    for sentence in mentions:
        assert "not possible yet" in sentence, sentence
        assert "stdio" in sentence, sentence


def test_server_json_offers_the_self_hosted_remote_as_a_template(
    server_json: dict[str, Any],
) -> None:
    (remote,) = server_json["remotes"]

    assert remote["type"] == "streamable-http"
    assert remote["url"] == "{public_url}/mcp"  # the server's own public URL, then /mcp
    assert remote["variables"]["public_url"]["isRequired"] is True
