"""Check modules, one per domain; importing this package registers them all."""

from analyzer.checks import compose, dockerfile, kubernetes, meta, secrets  # noqa: F401
