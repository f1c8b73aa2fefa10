"""Adapters to the field's libraries (detect-secrets, bandit, semgrep).

Each adapter hides a library's global state and calling conventions behind a
plain function over text we already hold in memory, so checks never depend
on how a library reads files, spawns processes or configures itself.
"""
