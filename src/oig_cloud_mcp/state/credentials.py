"""Where the OIG Cloud login comes from: environment variables, else the OS keyring.

`oig-cloud-mcp login` stores the password in the keyring (service `oig-cloud-mcp`,
user = e-mail) and remembers the e-mail in a small file; this module reads both back.
It never prompts, so the stdio server can use it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..config import ENV_EMAIL, ENV_PASSWORD
from ..domain.models import Credentials, account_key, is_plausible_email
from ..errors import CredentialsNotFoundError, KeyringUnavailableError
from .local.sessions import Hints
from .local.state_file import Codec, StateFile

if TYPE_CHECKING:
    from ..config import Settings

KEYRING_SERVICE = "oig-cloud-mcp"
NO_ACCOUNT = "No OIG Cloud account is set up"
SET_UP = (
    "; run `oig-cloud-mcp login` in a terminal (it keeps the password in the OS keyring), "
    f"or set {ENV_EMAIL} and {ENV_PASSWORD} in the MCP client's configuration (no "
    "keyring needed), or add --demo to try the built-in demo box."
)
"""Every way out at once: a headless machine has no keyring for `login`."""
NOT_SET_UP = NO_ACCOUNT + SET_UP
EXTENSION_SETTINGS = "Claude Desktop: Settings → Extensions → OIG Cloud"
EXTENSION_SET_UP = (
    f"{{why}}; enter your OIG Cloud e-mail and password in {EXTENSION_SETTINGS} "
    "(or switch on its demo box)."
)
PARTLY_SET = (
    ": {given} is set but {missing} is not (an empty value counts as unset); set both in "
    "the MCP client's configuration, or remove {given} and run `oig-cloud-mcp login` in a "
    "terminal."
)
NO_KEYRING = (
    "No usable OS keyring is available on this machine ({detail}). Either set "
    f"{ENV_EMAIL} and {ENV_PASSWORD} in the MCP client's configuration (then `login` "
    "is not needed), or add a keyring backend to oig-cloud-mcp's own environment "
    "and log in again: `uv tool install --with keyrings.alt oig-cloud-mcp` (pipx: `pipx inject "
    "oig-cloud-mcp keyrings.alt`; uvx: `uvx --with keyrings.alt oig-cloud-mcp login`, and "
    "`--with keyrings.alt` in the client's args too); keyrings.alt keeps the password "
    "unencrypted in a file only you can read."
)
NO_KEYRING_NOT_NEEDED = (
    f"{ENV_EMAIL} and {ENV_PASSWORD} are set, so the server logs in with them and "
    "`login` is not needed: it would only store a password in the OS keyring, for when they "
    "are unset, and no usable keyring is available here ({detail})."
)
PLAINTEXT_BACKENDS = {"keyrings.alt.file.PlaintextKeyring"}
"""Backends that keep the password unencrypted (base64) in a file of their own."""


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
    """The active keyring backend, with what a user should know about it.

    No usable backend reads "none usable (...)"; a backend that stores the password
    unencrypted in a file says so, and names the file.
    """
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    backend = keyring.get_keyring()
    name = f"{type(backend).__module__}.{type(backend).__name__}"
    if isinstance(backend, FailKeyring):
        return "none usable (login will fail; see Troubleshooting in the README)"
    if name in PLAINTEXT_BACKENDS:
        where = getattr(backend, "file_path", None)
        return f"{name}, unencrypted in the 0600 file {where or 'of keyrings.alt'}"
    return name


def ensure_keyring_usable(settings: Settings | None = None) -> None:
    """Raise `KeyringUnavailableError` when keyring has no real backend (headless Linux).

    With `settings` whose OIG_CLOUD_EMAIL and OIG_CLOUD_PASSWORD are set, the message says
    that `login` is not needed at all.
    """
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    if isinstance(keyring.get_keyring(), FailKeyring):
        if settings is not None and settings.has_env_credentials:
            raise KeyringUnavailableError(NO_KEYRING_NOT_NEEDED.format(detail="no backend found"))
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
    account_file(settings).update(lambda _: email.strip())


def forget_account(settings: Settings) -> bool:
    """Forget the remembered account; True if there was one."""
    return account_file(settings).delete()


def hints(settings: Settings) -> Hints:
    """What helps after a rejected login, or while logins are paused, for where this
    setup's login comes from. (A login from the environment is whitelisted by it, see
    `Settings.whitelisted_by_env`; the whitelist hint is for keyring logins.) Serving many
    homes, the login is a household's, sealed when it signed in: only it can fix that."""
    if settings.accounts == "multi":
        return HOUSEHOLD_HINTS
    if settings.has_env_credentials and settings.extension:
        return Hints(
            rejected=f"correct them in the extension's settings ({EXTENSION_SETTINGS}).",
            locked=f"after that, the e-mail and password in the extension's settings are "
            f"tried again: correct them in {EXTENSION_SETTINGS}.",
        )
    if settings.has_env_credentials:
        return Hints(
            rejected=f"they come from {ENV_EMAIL} and {ENV_PASSWORD} (which win over "
            "the keyring): correct them in the MCP client's configuration.",
            locked=f"correct {ENV_EMAIL} or {ENV_PASSWORD} in the MCP client's "
            "configuration (they win over the keyring) and it is tried again after that; "
            "`oig-cloud-mcp login` in a terminal with the right password lifts the lock now.",
        )
    return Hints(
        rejected="run `oig-cloud-mcp login` to enter them again.",
        locked="run `oig-cloud-mcp login` with the right password: it always tries once "
        "and lifts the lock.",
    )


HOUSEHOLD_HINTS = Hints(
    rejected="if the household changed its OIG Cloud password, connect the client again "
    "(remove and add the connector) and sign in on the consent page with the new one.",
    locked="connect the client again (remove and add the connector) and sign in on the "
    "consent page with the current OIG Cloud password; that sign-in lifts the lock.",
    not_listed="connect the client again and sign in on the consent page.",
)
"""Serving many homes: a household's login was typed on the consent page and sealed, so
the fix is signing in there again (the household cannot run a command on the server)."""

LOGIN_HINTS = Hints(
    rejected="check them (the same as in the OIG mobile app) and try again.",
    locked="try again with the right password: `login` always makes its one attempt.",
)
"""For the owner's own `login`: the e-mail and password were just typed, whatever the
environment holds, so the fix is typing them again, not running `login`."""


def set_up_hint(settings: Settings) -> str:
    """Why no account can be used and where to set one up, for this setup: the rest of a
    sentence that starts with "No OIG Cloud account is set up" (or "Account: none")."""
    missing = settings.missing_env_credential
    if settings.extension:
        field = {ENV_EMAIL: "e-mail", ENV_PASSWORD: "password"}.get(missing or "")
        return EXTENSION_SET_UP.format(why=f": the extension's {field} is empty" if field else "")
    if missing is not None:
        given = ENV_PASSWORD if missing == ENV_EMAIL else ENV_EMAIL
        return PARTLY_SET.format(given=given, missing=missing)
    return SET_UP


def not_set_up(settings: Settings) -> str:
    """The sentence for "no account can be used", for this setup."""
    return NO_ACCOUNT + set_up_hint(settings)


def account_email(settings: Settings) -> str | None:
    """The e-mail in use: OIG_CLOUD_EMAIL (with a password) wins over the remembered one."""
    if settings.has_env_credentials:
        return settings.env_email
    return remembered_account(settings)


def current_account(settings: Settings) -> str:
    """The account key (case-folded e-mail) in use, without touching the keyring."""
    email = account_email(settings)
    if email is None:
        raise CredentialsNotFoundError(not_set_up(settings))
    return account_key(email)


def resolve_credentials(settings: Settings) -> Credentials:
    """The login to use, or an error that says how to set one up."""
    if settings.env_email and settings.env_password:
        return Credentials(settings.env_email, settings.env_password, source="environment")
    email = remembered_account(settings)
    if email is None:
        raise CredentialsNotFoundError(not_set_up(settings))
    password = stored_password(email)
    if password is None:
        raise CredentialsNotFoundError(
            f"No password for {email} is stored in the keyring; run `oig-cloud-mcp login`."
        )
    return Credentials(email, password, source="keyring")
