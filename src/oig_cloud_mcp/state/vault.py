"""Households' OIG Cloud logins, for a server that serves many homes: encrypted at rest.

Each login is sealed with AES-256-GCM (the `cryptography` package; a random 96-bit nonce,
the household's subject as associated data, so a sealed login moved to another household
does not open) under a key ring read from the file named by `OIG_CLOUD_MCP_KEY_FILE`: one
base64 32-byte key per line, the first seals, every one opens — so keys rotate without
downtime (add a new first line, restart, later drop the old line). Nothing of it is ever
in the clear in the shared state or in a log.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..domain.models import Credentials, subject_of
from ..errors import ConfigurationError, StateFileError
from .ports import Records

log = logging.getLogger(__name__)

KEY_BYTES = 32
NONCE_BYTES = 12
SEAL_VERSION = "v1"
KEEP_LOGIN_S = 90 * 24 * 3600
"""A household's login is kept 90 days after it last consented (each consent renews it)."""


def new_key() -> str:
    """A fresh key ring line: 32 random bytes, base64."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def fingerprint(key: bytes) -> str:
    """8 hex digits naming a key (in each sealed login, and in the log): not the key."""
    return hashlib.sha256(b"oig-cloud-mcp key\n" + key).hexdigest()[:8]


@dataclass(frozen=True)
class KeyRing:
    """The keys that seal and open households' logins; the first one seals."""

    keys: tuple[bytes, ...] = field(repr=False)

    @classmethod
    def load(cls, path: Path | None, *, variable: str) -> KeyRing:
        """The key ring in `path`; any problem is one sentence naming the file (or
        `variable` when no file is named). A file that others may read is one warning."""
        if path is None:
            raise ConfigurationError(
                f"Serving many homes keeps their logins encrypted: set {variable} to a file "
                "with a key (create one with `oig-cloud-mcp remote new-key > FILE`)."
            )
        try:
            text = path.read_text(encoding="ascii")
            if path.stat().st_mode & 0o044:  # warned, not refused: Docker mounts secrets 0444
                log.warning("The key file %s is readable by other users; chmod 600 it", path)
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(
                f"Cannot read the key file {path} ({getattr(exc, 'strerror', None) or exc}); "
                f"check {variable}."
            ) from None
        keys = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                key = base64.b64decode(line.strip(), validate=True)
            except binascii.Error:
                key = b""
            if len(key) != KEY_BYTES:
                raise ConfigurationError(
                    f"Line {number} of the key file {path} is not a base64 32-byte key; "
                    "`oig-cloud-mcp remote new-key` prints one."
                )
            keys.append(key)
        if not keys:
            raise ConfigurationError(
                f"The key file {path} holds no key; `oig-cloud-mcp remote new-key` prints one."
            )
        return cls(tuple(keys))

    def seal(self, plaintext: bytes, context: str) -> str:
        """`plaintext` sealed with the first key, bound to `context`."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        key, nonce = self.keys[0], os.urandom(NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext, context.encode())
        blob = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{SEAL_VERSION}:{fingerprint(key)}:{blob}"

    def open(self, token: str, context: str) -> bytes | None:
        """The plaintext, or None when no key of the ring opens it for `context`."""
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        version, _, rest = token.partition(":")
        named, _, blob = rest.partition(":")
        if version != SEAL_VERSION:
            return None
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error:
            return None
        nonce, sealed = raw[:NONCE_BYTES], raw[NONCE_BYTES:]
        for key in sorted(self.keys, key=lambda k: fingerprint(k) != named):
            try:
                return AESGCM(key).decrypt(nonce, sealed, context.encode())
            except InvalidTag:
                continue
        return None


def sealed_with(sealed: str) -> str:
    """The fingerprint of the key a sealed login names, or "an unknown key"."""
    named = sealed.split(":", 2)[1] if sealed.count(":") >= 2 else ""
    return named if re.fullmatch(r"[0-9a-f]{8}", named) else "an unknown key"


class Vault:
    """Households' logins, sealed, by subject."""

    def __init__(
        self, records: Records[str], ring: KeyRing, clock: Callable[[], float] = time.time
    ) -> None:
        self.records = records
        self.ring = ring
        self._clock = clock

    async def keep(self, credentials: Credentials) -> str:
        """Seal and keep a household's login; returns its subject."""
        subject = subject_of(credentials.email)
        plain = json.dumps({"email": credentials.email, "password": credentials.password})
        sealed = self.ring.seal(plain.encode("utf-8"), subject)
        await self.records.put(subject, sealed, self._clock() + KEEP_LOGIN_S)
        return subject

    async def login(self, subject: str) -> Credentials | None:
        """The household's login, or None when it is not kept (or no key opens it)."""
        sealed = await self.records.get(subject)
        if sealed is None:
            return None
        plain = self.ring.open(sealed, subject)
        if plain is None:
            log.warning(
                "The sealed login of household %s cannot be opened with this replica's keys: "
                "it was sealed with key %s, the key file holds %s (is every replica given "
                "the same key file?); the household must connect again",
                subject,
                sealed_with(sealed),
                ", ".join(fingerprint(key) for key in self.ring.keys),
            )
            raise StateFileError(
                "A household's stored login cannot be opened with the key file's keys (was "
                "its key removed?); the household must connect again.",
                kind="damaged",
            )
        found = json.loads(plain)
        return Credentials(found["email"], found["password"], source="vault")

    async def forget(self, subject: str) -> None:
        """Delete a household's login."""
        await self.records.delete(subject)
