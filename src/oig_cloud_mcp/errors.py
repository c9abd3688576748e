"""The one exception tree of oig-cloud-mcp.

Every message is a sentence written for the homeowner (and the model relaying it):
it says what happened and what to do. No message ever contains a password or a
session cookie.

    OigError
    ├── OigConnectionError        network down, DNS, TLS, timeout
    ├── PortalError               the portal answered, but not usefully (5xx, HTML, bad body)
    │   └── LiveDataUnavailableError   json.php refuses live data ("Live data" off in the app)
    ├── SessionExpiredError       internal: the portal says the session is dead
    ├── AuthenticationError       the portal rejected the e-mail/password
    ├── LoginLockedError          too many rejected logins; waiting out the backoff
    ├── NotWhitelistedError       the account is not on the local whitelist
    ├── CredentialsNotFoundError  nothing stored: run `oig-cloud-mcp login`
    ├── KeyringUnavailableError   no usable OS keyring backend
    ├── StateFileError            a file of ours cannot be read or written (names the file)
    │   └── StateUnavailableError the shared state (Redis) is not answering or refused us
    ├── ConfigurationError        a setting or flag has an impossible value
    ├── InvalidRequestError       the caller asked for something impossible (bad date, unknown box)
    │   ├── ArgumentError         something typed on the command line cannot be used
    │   └── ClientDocumentError   an OAuth client's metadata document (CIMD) cannot be used
    ├── WriteNotAllowedError      a write tool is disabled by the owner
    ├── WriteOutcomeUnknownError  a write was sent but its result never came back
    ├── AuthorizationRefusedError remote access: an OAuth request refused (carries its code)
    └── ServeError                the HTTP server cannot start (its address is taken)
"""

from __future__ import annotations


class OigError(Exception):
    """Root of every error this package raises on purpose."""


class OigConnectionError(OigError):
    """The portal could not be reached (network, DNS, TLS or timeout)."""


class PortalError(OigError):
    """The portal answered with something we cannot use."""

    def __init__(self, message: str, *, status: int | None = None, endpoint: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.endpoint = endpoint


class LiveDataUnavailableError(PortalError):
    """json.php failed in the way it does when "Live data" is switched off in the app."""


class SessionExpiredError(OigError):
    """The portal says the session cookie is no longer valid (handled inside the client)."""


class AuthenticationError(OigError):
    """The portal rejected the e-mail or password."""


class LoginLockedError(OigError):
    """Logins for this account are paused after repeated rejections."""

    def __init__(self, message: str, *, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class NotWhitelistedError(OigError):
    """The account is not on the local whitelist, so no request is made for it."""


class CredentialsNotFoundError(OigError):
    """No credentials are configured."""


class KeyringUnavailableError(OigError):
    """The OS keyring cannot be used on this machine."""


class StateFileError(OigError):
    """A file in the state or config directory cannot be used; the message names it.

    `kind` is "unreadable" (permissions, a directory or link in its place), "damaged"
    (content that does not validate, for files that fail closed), "unwritable", or
    "unavailable" (the shared state, see `StateUnavailableError`).
    """

    def __init__(self, message: str, *, path: object = None, kind: str = "unreadable") -> None:
        super().__init__(message)
        self.path = path
        self.kind = kind


class StateUnavailableError(StateFileError):
    """The shared state (Redis, in hosted mode) cannot be used now; the message names its
    address (never a password) and says what to do.

    A `StateFileError` (kind "unavailable", `path` the address), so every place that copes
    with a state file it cannot use copes with the shared state the same way: nothing is
    sent without its recorded intent, and an audit line that cannot be kept is reported.
    """

    def __init__(self, message: str, *, where: str) -> None:
        super().__init__(message, path=where, kind="unavailable")


class ConfigurationError(OigError):
    """A setting (environment variable or flag) has a value we cannot use."""


class InvalidRequestError(OigError):
    """The request itself is impossible to serve (bad date range, unknown box id, ...)."""


class ArgumentError(InvalidRequestError):
    """Something typed on the command line cannot be used: a tool's `KEY=VALUE` argument,
    an e-mail, a flag that needs another one.

    The message names it and what it accepts; the command exits 2 (a usage error).
    """


class ClientDocumentError(InvalidRequestError):
    """An OAuth client's `client_id` URL, or the metadata document it names, cannot be used.

    Raised by `portal.documents` for every refusal: a URL that is not a plain https URL, a
    host on a private or reserved network, a redirect, a wrong status, a body too large, too
    slow or not a JSON object. The message says which, in one sentence; it never repeats a
    user name or password from the URL nor the addresses a host resolved to.
    """


class WriteNotAllowedError(OigError):
    """The owner has not enabled this write action."""


class WriteOutcomeUnknownError(OigError):
    """A write left this machine but no answer came back; it may or may not have been accepted."""


class AuthorizationRefusedError(OigError):
    """Remote access refused an OAuth request; `code` is the OAuth error code
    (invalid_grant, invalid_redirect_uri, invalid_target, access_denied, …)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class ServeError(OigError):
    """The HTTP server cannot start, e.g. its address is already in use."""


def sole_exception(exc: BaseException) -> BaseException:
    """The one exception inside (nested) single-member exception groups, else `exc` itself.

    Task groups (the SDK's, anyio's) wrap whatever went wrong; callers report the cause.
    """
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
