"""Loads the rule catalog (rules/*.yaml) into frozen Rule records.

The same files feed the scan (severity, checklist IDs), `prodready rules`,
`prodready explain`, the SARIF rule metadata, the README reference and the
example tests, so documentation and behaviour cannot drift apart.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from analyzer.core import checklist
from analyzer.core.errors import UsageError
from analyzer.core.model import Example, FixExample, Rule, Severity

_REQUIRED = ("code", "name", "severity", "checklist", "summary", "why", "fix", "examples")
_OPTIONAL = (
    "tags",
    "security-severity",
    "precision",
    "scope",
    "applies-to",
    "fixable",
    "fix-safety",
    "fix-examples",
)


# Precision tiers, best first, with the measured precision (true / (true + false) on the
# precision ledger's repositories) each one needs. The default profile reports the first two;
# `error` is reserved for the first.
TIERS = (("very-high", 0.95), ("high", 0.85), ("medium", 0.65), ("low", 0.0))
DEFAULT_TIERS = frozenset({"very-high", "high"})


def tier_of(precision: float) -> str:
    return next(name for name, floor in TIERS if precision >= floor)


def rules_dir() -> Path:
    """The catalog ships inside the wheel as analyzer/_rules; in a checkout it is ./rules."""
    here = Path(__file__).resolve().parent
    packaged = here.parent / "_rules"
    return packaged if packaged.is_dir() else here.parent.parent / "rules"


@functools.cache
def load() -> dict[str, Rule]:
    rules: dict[str, Rule] = {}
    for path in sorted(rules_dir().glob("*.yaml")):
        try:
            raw = checklist.load_yaml(path.read_text(encoding="utf-8")) or []
        except yaml.YAMLError as exc:
            first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
            raise UsageError(f"rule catalog {path.name}: {first}") from None
        if not isinstance(raw, list):
            raise UsageError(f"{path.name}: the catalog file must be a list of rules")
        for entry in raw:
            rule = _rule(path.name, entry)
            if rule.code in rules:
                raise UsageError(f"{path.name}: duplicate rule code {rule.code}")
            rules[rule.code] = rule
    names = [r.name for r in rules.values()]
    dupes = {n for n in names if names.count(n) > 1}
    if dupes:
        raise UsageError(f"duplicate rule names in the catalog: {', '.join(sorted(dupes))}")
    return dict(sorted(rules.items()))


def _rule(source: str, entry: Any) -> Rule:
    if not isinstance(entry, dict):
        raise UsageError(f"{source}: every rule must be a mapping")
    code = str(entry.get("code", "?"))
    missing = [k for k in _REQUIRED if k not in entry]
    unknown = [k for k in entry if k not in _REQUIRED + _OPTIONAL]
    if missing or unknown:
        raise UsageError(f"{source}: rule {code}: missing {missing}, unknown {unknown}")
    known = checklist.by_id()
    ids = tuple(str(i) for i in entry["checklist"])
    bad_ids = [i for i in ids if i not in known]
    if not ids or bad_ids:
        raise UsageError(f"{source}: rule {code}: unknown or no checklist IDs {bad_ids}")
    sec = entry.get("security-severity")
    return Rule(
        code=code,
        name=str(entry["name"]),
        severity=Severity(entry["severity"]),
        checklist=ids,
        summary=str(entry["summary"]).strip(),
        why=" ".join(str(entry["why"]).split()),
        fix=str(entry["fix"]).strip(),
        tags=tuple(str(t) for t in entry.get("tags", ())),
        security_severity=None if sec is None else f"{float(sec):.1f}",
        precision=_precision(source, code, entry.get("precision", "high")),
        scope=str(entry.get("scope", "file")),
        applies_to=_applies_to(source, code, entry.get("applies-to", "production")),
        examples=_examples(source, code, entry["examples"]),
        **_fix_fields(source, code, entry),
    )


def _precision(source: str, code: str, value: Any) -> str:
    if value not in {name for name, _ in TIERS}:
        names = ", ".join(name for name, _ in TIERS)
        raise UsageError(f"{source}: rule {code}: precision must be one of {names}")
    return str(value)


def _applies_to(source: str, code: str, value: Any) -> str:
    if value not in ("production", "everywhere"):
        raise UsageError(f"{source}: rule {code}: applies-to must be production or everywhere")
    return str(value)


def _fix_fields(source: str, code: str, entry: dict[str, Any]) -> dict[str, Any]:
    """`fixable`, `fix-safety` and `fix-examples`: all three together, or none."""
    fixable = bool(entry.get("fixable", False))
    safety = entry.get("fix-safety")
    raw = entry.get("fix-examples") or []
    if not fixable:
        if safety is not None or raw:
            raise UsageError(f"{source}: rule {code}: fix-safety/fix-examples need `fixable: true`")
        return {}
    if safety not in ("safe", "unsafe"):
        raise UsageError(f"{source}: rule {code}: fix-safety must be safe or unsafe")
    if not raw:
        raise UsageError(f"{source}: rule {code}: a fixable rule needs fix-examples")
    examples = tuple(
        FixExample(
            str(item["path"]),
            str(item["before"]),
            str(item["after"]),
            tuple((str(a["path"]), str(a["text"])) for a in item.get("also", ())),
        )
        for item in raw
    )
    return {"fixable": True, "fix_safety": str(safety), "fix_examples": examples}


def _examples(source: str, code: str, raw: Any) -> tuple[Example, ...]:
    out: list[Example] = []
    for verdict in ("bad", "good"):
        items = (raw or {}).get(verdict) or []
        if not items:
            raise UsageError(f"{source}: rule {code} needs at least one {verdict} example")
        for item in items:
            line = item.get("line")
            if verdict == "bad" and "line" not in item:
                raise UsageError(
                    f"{source}: rule {code}: a bad example needs `line` (null for repository level)"
                )
            also = tuple((str(a["path"]), str(a["text"])) for a in item.get("also", ()))
            size = item.get("binary-size")  # an image or other asset, made by the test
            text = "" if size is not None else str(item["text"])
            out.append(Example(verdict, str(item["path"]), text, line, also, size))
    return tuple(out)


def get(code: str) -> Rule:
    return load()[code]
