"""TLS contexts: towards OIG Cloud (certifi's roots plus the intermediate the portal forgets to
send) and towards anyone else (certifi's roots alone)."""

from __future__ import annotations

import ssl
from importlib import resources

CERTUM_INTERMEDIATE = "certum_dv_tls_g2_r39_ca.pem"


def portal_ssl_context() -> ssl.SSLContext:
    """certifi's roots plus the Certum intermediate the portal forgets to send (spec §2.3)."""
    import certifi

    context = ssl.create_default_context(cafile=certifi.where())
    pem = resources.files(__package__).joinpath(CERTUM_INTERMEDIATE).read_text()
    context.load_verify_locations(cadata=pem)
    return context


def public_ssl_context() -> ssl.SSLContext:
    """certifi's roots, certificate and host name always checked: for servers other than OIG
    Cloud (an OAuth client's metadata document)."""
    import certifi

    return ssl.create_default_context(cafile=certifi.where())


def is_certificate_failure(exc: BaseException) -> bool:
    """Whether a transport error was a TLS certificate that could not be verified."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return True
        cause = cause.__cause__ or cause.__context__
    return "CERTIFICATE_VERIFY_FAILED" in str(exc)
