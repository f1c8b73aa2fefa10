"""Errors that end a run with exit code 2 and a one-line message."""


class UsageError(Exception):
    """Bad command line, config or catalog; the CLI prints it on one line and exits 2."""
