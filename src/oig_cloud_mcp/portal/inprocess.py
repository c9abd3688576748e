"""An OIG Cloud answered in-process (the demo box): the request it sees and its answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field


@dataclass
class PortalCall:
    """A request as an in-process portal (the demo box) sees it."""

    method: str
    path: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass
class PortalReply:
    """An in-process portal's answer."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


PortalHandler = Callable[[PortalCall], Awaitable[PortalReply]]
