"""Everything kept between calls, behind ports: sessions, backoff, pending changes, audit,
the write lock, previews, remote access's records, and households' sealed logins.

`ports` names what is kept; `local` keeps it in the private state directory, `memory` in
one process. `credentials` is the only keyring user.
"""
