"""Inline `prodready: ignore[...]` comments, and matching rules against names.

One syntax for every file kind (`#`, `//` or `--` before it), rule-scoped,
with a mandatory reason: peers that accept bare ignores (bandit's `# nosec`,
KICS's `ignore-line`) leave reviewers no way to audit why a check was
silenced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from analyzer.core.model import InlineIgnore, Rule

_COMMENT = re.compile(
    r"(?P<lead>^\s*)?(?:#|//|--|/\*|;)\s*prodready:\s*ignore\[(?P<tokens>[^\]]*)\]\s*(?P<reason>.*)$"
)


def inline_ignores(lines: Iterable[str]) -> tuple[InlineIgnore, ...]:
    out: list[InlineIgnore] = []
    for number, text in enumerate(lines, start=1):
        if "prodready:" not in text:
            continue
        m = _COMMENT.search(text)
        if not m:
            continue
        tokens = tuple(t.strip() for t in m.group("tokens").split(",") if t.strip())
        reason = m.group("reason").strip().rstrip("*/").strip().lstrip("-:— ").strip()
        whole_line = text[: m.start()].strip() == ""
        covers = (number, number + 1) if whole_line else (number,)
        out.append(InlineIgnore(number, tokens, reason, covers))
    return tuple(out)


def rule_matches(rule: Rule, token: str) -> bool:
    """A token names a rule by code, code prefix (K8S), name, checklist ID or its prefix (AUTH)."""
    t = token.strip()
    up = t.upper()
    if not t:
        return False
    if rule.code.upper().startswith(up) or rule.name == t.lower():
        return True
    return any(cid == up or cid.startswith(up + "-") for cid in rule.checklist)
