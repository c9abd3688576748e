"""Where the OIG Cloud login comes from: environment variables, else the OS keyring.

`oig-cloud-mcp login` stores the password in the keyring (service `oig-cloud-mcp`,
user = e-mail) and remembers the e-mail in a small file; this module reads both back.
It never prompts, so the stdio server can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import CredentialsNotFoundError, KeyringUnavailableError
from .models import Credentials, account_key, is_plausible_email
from .private_io import write_private
from .session_store import Hints
from .state_files import Codec, StateFile

if TYPE_CHECKING:
    from .config import Settings

KEYRING_SERVICE = "oig-cloud-mcp"
NOT_SET_UP = (
    "No OIG Cloud account is set up; run `oig-cloud-mcp login` in a terminal "
    "(or set OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD)."
)
NO_KEYRING = (
    "No usable OS keyring is available on this machine ({detail}). Either set "
    "OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD in the MCP client's configuration, or install "
    "a keyring backend such as keyrings.alt (`pip install keyrings.alt`) and log in again."
)


def _keyring_call(action: str, *args: str) -> str | None:
    import keyring
    from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

    try:
        result: str | None = getattr(keyring, action)(KEYRING_SERVICE, *args)
    except PasswordDeleteError:
        return None
    except NoKeyringError as exc:
        raise KeyringUnavailableError(NO_KEYRING.format(detail="no backend found")) from exc
    except (KeyringError, RuntimeError) as exc:
        raise KeyringUnavailableError(NO_KEYRING.format(detail=type(exc).__name__)) from exc
    return result


def keyring_backend_name() -> str:
    """A readable name of the active keyring backend."""
    import keyring

    backend = keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__name__}"


def ensure_keyring_usable() -> None:
    """Raise `KeyringUnavailableError` when keyring has no real backend (headless Linux)."""
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    if isinstance(keyring.get_keyring(), FailKeyring):
        raise KeyringUnavailableError(NO_KEYRING.format(detail="no backend found"))


def store_password(email: str, password: str) -> None:
    """Save the password in the OS keyring."""
    _keyring_call("set_password", email, password)


def stored_password(email: str) -> str | None:
    """The keyring's password for `email`, or None."""
    return _keyring_call("get_password", email)


def delete_password(email: str) -> None:
    """Remove the password from the OS keyring (no error if absent)."""
    _keyring_call("delete_password", email)


def _parse_account(data: bytes) -> str | None:
    text = data.decode("utf-8").strip()
    if not text:
        return None
    if not is_plausible_email(text):
        raise ValueError("not an e-mail address")
    return text


ACCOUNT_CODEC: Codec[str | None] = Codec(
    empty=lambda: None,
    parse=_parse_account,
    dump=lambda email: f"{email or ''}\n".encode(),
)


def account_file(settings: Settings) -> StateFile[str | None]:
    """The file naming the account `login` stored (damaged content is moved aside)."""
    return StateFile(settings.account_path, ACCOUNT_CODEC)


def remembered_account(settings: Settings) -> str | None:
    """The e-mail `login` remembered, or None."""
    return account_file(settings).read()


def remember_account(settings: Settings, email: str) -> None:
    """Remember `email` as the account to use."""
    write_private(settings.account_path, ACCOUNT_CODEC.dump(email.strip()))


def forget_account(settings: Settings) -> bool:
    """Forget the remembered account; True if there was one."""
    try:
        settings.account_path.unlink()
    except FileNotFoundError:
        return False
    return True


def hints(settings: Settings) -> Hints:
    """What helps after a rejected login or while logins are paused, for this setup."""
    if settings.has_env_credentials:
        return Hints(
            rejected="OIG_CLOUD_PASSWORD is wrong (it wins over the keyring); correct "
            "OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD in the MCP client's configuration.",
            locked="correct OIG_CLOUD_PASSWORD in the MCP client's configuration (it wins "
            "over the keyring); `oig-cloud-mcp login` with the right password lifts the lock.",
        )
    return Hints(
        rejected="run `oig-cloud-mcp login` to enter them again.",
        locked="run `oig-cloud-mcp login` with the right password: it always tries once "
        "and lifts the lock.",
    )


def account_email(settings: Settings) -> str | None:
    """The e-mail in use: OIG_CLOUD_EMAIL (with a password) wins over the remembered one."""
    if settings.has_env_credentials:
        return settings.env_email
    return remembered_account(settings)


def current_account(settings: Settings) -> str:
    """The account key (case-folded e-mail) in use, without touching the keyring."""
    email = account_email(settings)
    if email is None:
        raise CredentialsNotFoundError(NOT_SET_UP)
    return account_key(email)


def resolve_credentials(settings: Settings) -> Credentials:
    """The login to use, or an error that says how to set one up."""
    if settings.env_email and settings.env_password:
        return Credentials(settings.env_email, settings.env_password, source="environment")
    email = remembered_account(settings)
    if email is None:
        raise CredentialsNotFoundError(NOT_SET_UP)
    password = stored_password(email)
    if password is None:
        raise CredentialsNotFoundError(
            f"No password for {email} is stored in the keyring; run `oig-cloud-mcp login`."
        )
    return Credentials(email, password, source="keyring")
