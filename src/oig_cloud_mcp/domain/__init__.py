"""Pure rules, no I/O: the models, reading the portal's data, insights, write plans and checks.

Nothing here reads a file, the network, the clock or the environment: what it needs (the
time, a portal payload) is passed in, so every rule is tested on its own.
"""
