"""Accepted findings, recorded by fingerprint so the file does not churn.

A baseline holds rule, path and fingerprint only: no line numbers, no
timestamps, no messages. Moving code around does not change it, and two
people regenerating it from the same tree write byte-identical files (the
detect-secrets baseline's `generated_at` and line numbers cause merge
conflicts; this one cannot).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from analyzer.core.errors import UsageError
from analyzer.core.model import Finding

FORMAT_VERSION = 1


def dumps(findings: Iterable[Finding]) -> str:
    entries = sorted({(f.code, f.path, f.fingerprint) for f in findings if f.suppression is None})
    doc = {
        "tool": "prodready",
        "version": FORMAT_VERSION,
        "findings": [{"code": c, "path": p, "fingerprint": fp} for c, p, fp in entries],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def load(path: Path) -> frozenset[str]:
    """The accepted fingerprints; a missing or malformed file is a usage error."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read baseline {path}: {exc.strerror}") from None
    except ValueError:
        raise UsageError(f"baseline {path} is not valid JSON") from None
    if (
        not isinstance(doc, dict)
        or doc.get("tool") != "prodready"
        or not isinstance(doc.get("findings"), list)
    ):
        raise UsageError(f"baseline {path} is not a prodready baseline")
    return frozenset(
        str(e["fingerprint"]) for e in doc["findings"] if isinstance(e, dict) and "fingerprint" in e
    )
