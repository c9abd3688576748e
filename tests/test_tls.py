"""TLS: the shipped Certum intermediate, and verification that is never switched off."""

from __future__ import annotations

import datetime
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from oig_cloud_mcp.domain.models import Credentials
from oig_cloud_mcp.errors import OigConnectionError
from oig_cloud_mcp.portal.client import OigCloudClient
from oig_cloud_mcp.portal.tls import portal_ssl_context

from .conftest import EMAIL, PASSWORD, given


def test_the_ssl_context_trusts_the_certum_intermediate() -> None:
    context = portal_ssl_context()
    subjects = [str(cert["subject"]) for cert in context.get_ca_certs()]
    assert any("'Certum DV TLS G2 R39 CA'" in subject for subject in subjects)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture
def untrusted_https(tmp_path: Path) -> Iterator[str]:
    """A portal on 127.0.0.1 whose certificate no public CA signed."""
    cert, key = _self_signed(tmp_path)

    async def anything(request: object) -> PlainTextResponse:
        return PlainTextResponse('[[2,"",false]]')

    app = Starlette(routes=[Route("/{path:path}", anything, methods=["GET", "POST"])])
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="error",
        lifespan="off",
        ssl_certfile=str(cert),
        ssl_keyfile=str(key),
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"https://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(10)


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
