"""The whitelist and login-backoff files (the rules are `domain.security`).

The whitelist is the user's own file: it may be a symbolic link (dotfile managers), UTF-8
or UTF-16 with a byte-order mark, and anything else refuses every account (fail closed).
The backoff file is ours; damage pauses automatic logins (fail closed) until the owner's
`login` resets it.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ...config import ENV_WHITELIST
from ...domain.models import account_key
from ...domain.security import BackoffFile, Whitelist, parse_whitelist
from ...errors import NotWhitelistedError
from .files import decode_text
from .state_file import Codec, StateFile, json_codec

NOT_LISTED_HINT = (
    "run `oig-cloud-mcp login`, add the e-mail as a line in that file, or list it in "
    f"{ENV_WHITELIST}."
)
"""What helps an account missing from the whitelist when the login comes from the keyring."""

BACKOFF_DAMAGED = (
    "The login-backoff file {path} is damaged ({reason}), so automatic logins are paused to "
    "protect the account; run `oig-cloud-mcp login` (which resets it) or delete the file."
)
WHITELIST_DAMAGED = (
    "The whitelist {path} is not readable text ({reason}); save it as UTF-8, or delete "
    "it and run `oig-cloud-mcp login` to create it again."
)
WHITELIST_HEADER = "# Accounts oig-cloud-mcp may use, one e-mail per line.\n"

TEXT: Codec[str] = Codec(empty=str, parse=decode_text, dump=lambda text: text.encode("utf-8"))


def whitelist_file(path: Path) -> StateFile[str]:
    """The whitelist's text: followed through a link, refused (never moved) when damaged."""
    return StateFile(path, TEXT, fail_closed=True, damaged=WHITELIST_DAMAGED, follow_links=True)


def load_whitelist(path: Path, extra: Iterable[str] = ()) -> Whitelist:
    """The file's entries plus `extra` (from OIG_CLOUD_MCP_WHITELIST)."""
    return Whitelist.parse(whitelist_file(path).read(), extra)


def check_whitelisted(
    path: Path, extra: Iterable[str], account: str, hint: str = NOT_LISTED_HINT
) -> None:
    """Refuse an account missing from the whitelist, before any network call.

    `hint` says what helps, which depends on where the login comes from.
    """
    if not load_whitelist(path, extra).allows(account):
        raise NotWhitelistedError(f"The account {account} is not on the whitelist ({path}); {hint}")


def add_to_whitelist(path: Path, email: str) -> bool:
    """Add `email` to the whitelist file unless present (under its lock); True if added.

    A symlinked whitelist (dotfile managers) is updated where the link points.
    """

    added = False

    def add(text: str) -> str:
        nonlocal added
        if account_key(email) in parse_whitelist(text):
            return text
        added = True
        text = text or WHITELIST_HEADER
        return (text if text.endswith("\n") else text + "\n") + account_key(email) + "\n"

    whitelist_file(path).update(add)
    return added


def backoff_file(path: Path) -> StateFile[BackoffFile]:
    """The persisted backoff; a damaged file pauses automatic logins (fails closed)."""
    return StateFile(path, json_codec(BackoffFile), fail_closed=True, damaged=BACKOFF_DAMAGED)
