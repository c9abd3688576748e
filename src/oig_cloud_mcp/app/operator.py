"""The operator's commands for a server of many homes: list, revoke and forget a household.

A household goes by its pseudonym (`domain.models.subject_of` of its e-mail) in grants, keys
and audit lines; the operator names it by e-mail, which is never shown back.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..domain.grants import ClientRecord, Grant, grant_principal
from ..domain.models import subject_of
from ..state.ports import State
from .authorization import Authorization
from .sign_in import account_lock

OWNER = "owner"
"""The subject of every grant made with a pairing code (one home)."""


def pseudonym(email: str) -> str:
    """The pseudonym a household goes by, from its OIG Cloud e-mail."""
    return subject_of(email)


async def grants_of(
    auth: Authorization, subject: str | None
) -> list[tuple[Grant, ClientRecord | None]]:
    """Every live grant with its client, oldest first; only the household's with `subject`."""
    return [(g, c) for g, c in await auth.grants() if subject is None or g.subject == subject]


async def revoke_household(auth: Authorization, subject: str) -> int:
    """End every grant of the household; returns how many."""
    ended = 0
    for grant_id, grant in await auth.records.grants.values():
        if grant.subject == subject:
            await auth.records.grants.delete(grant_id)
            ended += 1
    return ended


@dataclass(frozen=True)
class Forgotten:
    """What was deleted for one household, kind by kind."""

    subject: str
    counts: dict[str, int]

    def words(self) -> list[str]:
        """What was deleted, in words, in a fixed order (nothing: empty)."""
        said = []
        for kind, one, many in WORDS:
            n = self.counts.get(kind, 0)
            if n:
                said.append(one if n == 1 else many.format(n=n))
        return said


WORDS = (
    ("login", "its sealed OIG Cloud login", "its sealed OIG Cloud login"),
    ("grants", "1 grant", "{n} grants"),
    ("tokens", "1 token", "{n} tokens"),
    ("codes", "1 authorization code", "{n} authorization codes"),
    ("session", "its OIG Cloud session cookie", "its OIG Cloud session cookie"),
    ("backoff", "its login backoff", "its login backoff"),
    ("sign_ins", "its count of refused sign-ins", "its count of refused sign-ins"),
    ("live", "its cached live data", "its cached live data"),
    ("pending", "1 pending change", "{n} pending changes"),
    ("previews", "the previews of 1 grant", "the previews of {n} grants"),
)


async def forget_household(state: State, email: str) -> Forgotten:
    """Delete everything kept for the household of `email`: its sealed login, its grants
    with their tokens and codes, its session cookie, login backoff, refused sign-ins, live
    data, pending changes and previews. Its audit lines (under its pseudonym) stay."""
    subject = pseudonym(email)
    records = state.remote
    counts: dict[str, int] = {}
    grant_ids = {gid for gid, grant in await records.grants.values() if grant.subject == subject}
    tokens = 0
    for key, access in await records.access.values():
        if access.grant_id in grant_ids or access.subject == subject:
            await records.access.delete(key)
            tokens += 1
    for key, grant_id in await records.refresh.values():
        if grant_id in grant_ids:
            await records.refresh.delete(key)
            tokens += 1
    codes = 0
    for key, code in await records.codes.values():
        if code.subject == subject:
            await records.codes.delete(key)
            codes += 1
    for grant_id in grant_ids:
        await records.grants.delete(grant_id)
    counts.update(grants=len(grant_ids), tokens=tokens, codes=codes)
    counts["login"] = int(await records.vault.take(subject) is not None)
    counts["sign_ins"] = int(await records.lockouts.take(account_lock(email)) is not None)
    principals = sorted(grant_principal(grant_id) for grant_id in grant_ids)
    counts.update(await state.forget(subject, principals))
    return Forgotten(subject, counts)
