"""OIG Cloud over HTTP: the client, the portal's wire vocabulary, TLS, the demo portal.

The only package that uses httpx (also for the one other outbound fetch, a remote client's
metadata document). What the client needs from the rest — sessions, login policy, the
live-data cache — it names as protocols in `sessions`, which the state package implements.
"""
