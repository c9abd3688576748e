"""TLS: the shipped Certum intermediate, and verification that is never switched off."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from oig_cloud_mcp.domain.models import Credentials
from oig_cloud_mcp.errors import OigConnectionError
from oig_cloud_mcp.portal.client import OigCloudClient
from oig_cloud_mcp.portal.tls import portal_ssl_context

from .helpers.fakes import EMAIL, PASSWORD, given
from .helpers.https_servers import TestCA, https_server


def test_the_ssl_context_trusts_the_certum_intermediate() -> None:
    context = portal_ssl_context()
    subjects = [str(cert["subject"]) for cert in context.get_ca_certs()]
    assert any("'Certum DV TLS G2 R39 CA'" in subject for subject in subjects)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


@pytest.fixture
def untrusted_https(tmp_path: Path) -> Iterator[str]:
    """A portal on 127.0.0.1 whose certificate no public CA signed."""

    async def anything(request: object) -> PlainTextResponse:
        return PlainTextResponse('[[2,"",false]]')

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    with https_server(app, TestCA(tmp_path).issue("127.0.0.1")) as port:
        yield f"https://127.0.0.1:{port}/"


@pytest.mark.anyio
async def test_an_unverifiable_certificate_is_refused_with_a_clear_sentence(
    untrusted_https: str,
) -> None:
    client = OigCloudClient(untrusted_https, given(Credentials(EMAIL, PASSWORD)))
    try:
        with pytest.raises(OigConnectionError, match=r"certificate .* could not be verified"):
            await client.live_stats()
    finally:
        await client.aclose()
