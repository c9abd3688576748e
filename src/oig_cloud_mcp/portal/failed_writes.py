"""What a write OIG Cloud answered with a failure means, in one sentence for the user.

The real portal answers a write sent on a session it has ended with HTTP 500 and its error
page, the same answer it gives a write it refuses; a redirect or HTTP 401/403 says "session
ended", but a live session may get one too, after taking the change. So after any failed
write the client reads once with the same cookie, and that read decides:

- dead: the portal did not take the change. The client logs in and sends it once more,
  never twice (a failure of that second send is judged the same way, but never resent;
  a login that fails leaves nothing changed, and says why);
- alive: an HTTP error stands as a refusal (nothing was changed); a "session ended"
  answer on a live session leaves the outcome unknown;
- unknown (the read failed too): the outcome is unknown.

An unknown outcome is never sent again automatically: the pending list keeps it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..errors import OigError, PortalError, SessionExpiredError, WriteOutcomeUnknownError

SessionVerdict = Literal["dead", "alive", "unknown"]
"""What a read with the cookie a write failed on says about that session."""

CHECK_LATER = "Do not send it again yet: check get_basic_data in a few minutes."
UNKNOWN_WRITE = (
    "The change was sent to OIG Cloud but no answer came back, so it may or may not have "
    f"been accepted. {CHECK_LATER}"
)
RESENT = (
    "It was sent a second time after logging in again: OIG Cloud had ended the session, "
    "and the first attempt, refused on that ended session, changed nothing."
)


@dataclass(frozen=True)
class WriteReceipt:
    """A write OIG Cloud accepted (HTTP 200: taken, not yet applied by the box)."""

    message: str
    """The portal's message (element [0][2] of its answer)."""
    resent: bool = False
    """Accepted on the second send, after a new login (see `RESENT`)."""


def said_twice(error: WriteOutcomeUnknownError) -> WriteOutcomeUnknownError:
    """`error` of a second send, saying why there was one."""
    return WriteOutcomeUnknownError(f"{error} {RESENT}")


def failed_write(
    error: SessionExpiredError | PortalError, verdict: SessionVerdict, *, resent: bool
) -> OigError:
    """The error for a failed write whose session a read did not prove dead."""
    if verdict == "alive" and isinstance(error, PortalError):
        if not resent:
            return error  # "refused the change (HTTP n), so nothing was changed"
        return PortalError(
            f"OIG Cloud refused the change (HTTP {error.status}) also when it was sent once "
            "more after logging in again (the first attempt met a session OIG Cloud had "
            "ended), so nothing was changed; try again later or change it in the OIG app.",
            status=error.status,
            endpoint=error.endpoint,
        )
    if verdict == "alive":
        text = (
            "OIG Cloud answered the change as if the session had ended, but the session "
            f"still works, so the change may or may not have been accepted. {CHECK_LATER}"
        )
    else:
        answered = (
            f"HTTP {error.status}"
            if isinstance(error, PortalError)
            else "as if the session had ended"
        )
        text = (
            f"OIG Cloud answered the change with a failure ({answered}) and the read that "
            "would tell whether the session had ended failed too, so the change may or may "
            f"not have been accepted. {CHECK_LATER}"
        )
    return WriteOutcomeUnknownError(f"{text} {RESENT}" if resent else text)


def ended_again() -> PortalError:
    """A second send that met an ended session too: neither attempt was taken."""
    return PortalError(
        "OIG Cloud ended the session again before it took the change (also after logging "
        "in again), so nothing was changed; try again in a few minutes."
    )


def not_renewed(error: OigError) -> PortalError:
    """The session had ended (the change was not taken) and the login to send it once
    more failed: `error` says why and what helps."""
    return PortalError(
        f"OIG Cloud had ended the session, so nothing was changed, and logging in again "
        f"failed: {error}"
    )
