"""The use cases, independent of any transport: reads, writes, status, remote access's
authorization server and many homes; `wiring` is the one composition root that builds
state, clients and use cases from Settings.
"""
