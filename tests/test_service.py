"""The read use cases check what it is asked for before any request."""

from __future__ import annotations

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from oig_cloud_mcp.domain.requests import check_box_id
from oig_cloud_mcp.errors import InvalidRequestError

from .fake_portal import BOX_ID, FakePortal

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("box_id", [f"{BOX_ID}\n", f"{BOX_ID}\r\n", f" {BOX_ID}", "12ab"])
def test_a_box_id_is_digits_and_nothing_else(box_id: str) -> None:
    with pytest.raises(InvalidRequestError, match="box_id must be a Battery Box id"):
        check_box_id(box_id)


def test_a_box_id_of_digits_passes() -> None:
    assert check_box_id(BOX_ID) == BOX_ID
    assert check_box_id(None) is None


async def test_a_box_configuration_for_an_id_with_a_newline_makes_no_request(
    mcp: Client, portal: FakePortal
) -> None:
    with pytest.raises(MCPError, match="box_id must be a Battery Box id"):
        await mcp.read_resource(f"oig://box/{BOX_ID}%0A/config")
    assert portal.log == []
