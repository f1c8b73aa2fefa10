"""Scaffolds a rule in an existing family: its catalog entry and its check function.

    python -m analyzer.tools.new_rule CODE NAME [--kind KIND] [--repository]
        [--checklist ID,..] [--severity error|warning|note]

The entry (every required field, one bad and one good example of the right file
kind) is appended to the family's rules/*.yaml, the decorated stub to the module
that registers the family's checks. The stub finds nothing, so the example tests
fail on its bad example until the rule is written: a scaffold cannot pass as a rule.
Errors are one line on stderr, exit status 2.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections import Counter
from pathlib import Path

from analyzer.core import catalog, checklist
from analyzer.core.errors import UsageError
from analyzer.pipeline.discover import classify
from analyzer.tools import check_stub, rule_entry
from analyzer.tools.skeletons import ANY_TEXT, SKELETONS

_CODE = re.compile(r"[A-Z](?:[A-Z0-9]*[A-Z])?[0-9]{3}")
_NAME = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m analyzer.tools.new_rule", description=__doc__)
    p.add_argument("code", metavar="CODE", help="e.g. K8S019; its prefix names the family")
    p.add_argument("name", metavar="NAME", help="kebab-case, e.g. pod-without-owner")
    p.add_argument(
        "--kind",
        choices=sorted(SKELETONS),
        help="the file kind the check reads and the examples are (default: the family's usual)",
    )
    p.add_argument("--repository", action="store_true", help="a repository check (sees every file)")
    p.add_argument("--checklist", help="checklist IDs, comma-separated (default: the family's)")
    p.add_argument("--severity", choices=("error", "warning", "note"), default="warning")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        written = scaffold(
            args.code, args.name, args.kind, args.repository, args.checklist, args.severity
        )
    except UsageError as exc:
        print(f"new_rule: {exc}", file=sys.stderr)
        return 2
    for path, what in written:
        print(f"{_shown(path)}: {what}")
    print("next: write the examples and the check, then `make docs` and `make test`")
    return 0


def scaffold(
    code: str,
    name: str,
    kind: str | None,
    repository: bool,
    checklist_ids: str | None,
    severity: str,
) -> list[tuple[Path, str]]:
    """Validates everything before writing anything, so a refusal leaves no half-made rule."""
    if not _CODE.fullmatch(code):
        raise UsageError(f"code {code!r} is not a prefix and three digits (K8S019)")
    if not _NAME.fullmatch(name):
        raise UsageError(f"name {name!r} is not kebab-case (pod-without-owner)")
    if catalog.rules_dir().name != "rules":
        raise UsageError("run it in a checkout: this catalog is an installed copy")
    rules = catalog.load()
    if code in rules:
        raise UsageError(f"{code} already exists ({rules[code].name})")
    taken = {r.name: r.code for r in rules.values()}
    if name in taken:
        raise UsageError(f"the name {name} is already {taken[name]}'s")
    prefix = check_stub.prefix_of(code)
    yaml_path = rule_entry.family_file(prefix)
    ids = _checklist(checklist_ids, prefix)
    module = check_stub.family_module(prefix)
    skeleton = SKELETONS[kind or _usual_kind(prefix)]
    stub = check_stub.Stub(
        code, check_stub.function_name(name), None if repository else skeleton.kind
    )
    module_path = check_stub.module_path(module)
    if f"def {stub.function}(" in module_path.read_text(encoding="utf-8"):
        raise UsageError(f"{module} already defines {stub.function}()")
    rule_entry.write(yaml_path, rule_entry.Entry(code, name, severity, ids, skeleton))
    check_stub.write(module_path, stub)
    return [
        (yaml_path, f"{code} {name} appended"),
        (module_path, f"{stub.function}() appended ({module})"),
    ]


def _checklist(raw: str | None, prefix: str) -> tuple[str, ...]:
    ids = tuple(i.strip() for i in raw.split(",") if i.strip()) if raw else ()
    if not ids:
        ids = rule_entry.family_checklist(prefix)
    unknown = [i for i in ids if i not in checklist.by_id()]
    if unknown or not ids:
        raise UsageError(f"unknown checklist ID {', '.join(unknown) or '(none given)'}")
    return ids


def _usual_kind(prefix: str) -> str:
    """The kind the family's file checks read most, else the kind of its bad examples."""
    kinds = check_stub.family_kinds(prefix)
    if not kinds:
        kinds = Counter(
            classify(ex.path, ex.text)
            for r in catalog.load().values()
            if check_stub.prefix_of(r.code) == prefix
            for ex in r.examples
            if ex.verdict == "bad" and ex.text
        )
    for found, _ in kinds.most_common():
        key = "text" if found == ANY_TEXT else found
        if key in SKELETONS:
            return key
    raise UsageError(f"no usual file kind for {prefix}: pass --kind")


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


if __name__ == "__main__":
    sys.exit(main())
