"""Code-level Python rules (PY001-PY025), one module per family of rules/python.yaml.

Families, by module: `outbound` (timeouts and retries of calls to other
services), `celery` (tasks without retries), `connections` (pools, clients,
Redis keys), `logs`, `runtime` (debug entry points, broad excepts), `auth`
(JWT, token lifetimes, cookies), `secrets_tls` (secret defaults, TLS, plain
URLs), `injection` (HTML from input) and `bandit` (bandit's injection tests).

All per-file rules work on the `ast` tree already parsed for the file
(analyzer.parsers.python.PyModule), with imports resolved, so
`import requests as r; r.get(url)` and `from requests import get` are the
same call to them. They register in analyzer.checks.python.registry and run
in the one file check below, over one index of the module. Precision choices,
rule by rule, are documented in rules/python.yaml (the `why` text and the good
examples); the main ones:

- httpx has a 5 s default timeout, so only an explicit `timeout=None` is
  reported for it; requests has none, so every call without `timeout=` is,
  unless the module mounts an adapter that sets one.
- "no retry" is judged per module, once: a module that talks to an external
  HTTP or telephony API and has no retry or breaker mechanism at all.
- Celery tasks are judged in the repository pass, because the external call
  usually sits in a helper module the task imports.
"""

from __future__ import annotations

from collections.abc import Iterator

from analyzer.checks.python import (  # noqa: F401  each module registers its rules on import
    auth,
    bandit,
    celery,
    connections,
    injection,
    logs,
    outbound,
    runtime,
    secrets_tls,
)
from analyzer.checks.python.registry import RULES
from analyzer.checks.registry import file_check
from analyzer.core.model import Finding
from analyzer.facts.calls import index
from analyzer.parsers.python import PyModule


@file_check("python", *sorted({code for r in RULES for code in r.codes}))
def python_code(mod: PyModule) -> Iterator[Finding]:
    """Every per-file PY rule over one index of the module; deferring rules (bandit) last."""
    if mod.is_test:
        return
    ix = index(mod)
    chosen = [r for r in RULES if mod.is_app_code or not r.app_code_only]
    own: list[Finding] = []
    for r in chosen:
        if not r.defers:
            own.extend(r.fn(ix))
    yield from own
    seen = {(f.code, f.line) for f in own}
    for r in chosen:
        if r.defers:
            for f in r.fn(ix):
                if (f.code, f.line) not in seen:
                    seen.add((f.code, f.line))
                    yield f
