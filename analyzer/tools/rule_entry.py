"""Writes a new rule's catalog entry into the rules/*.yaml file of its family.

The family's file is the one holding most of the codes with the rule's prefix,
read from the catalog files themselves. The entry is appended as text, not
dumped from a mapping, so the file keeps its comments and its layout.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from analyzer.core import catalog, checklist
from analyzer.core.errors import UsageError
from analyzer.tools.check_stub import prefix_of
from analyzer.tools.skeletons import Skeleton


@dataclass(frozen=True)
class Entry:
    code: str
    name: str
    severity: str
    checklist: tuple[str, ...]
    skeleton: Skeleton


def family_file(prefix: str) -> Path:
    count: Counter[Path] = Counter()
    for path in sorted(catalog.rules_dir().glob("*.yaml")):
        for entry in checklist.load_yaml(path.read_text(encoding="utf-8")) or []:
            if isinstance(entry, dict) and prefix_of(str(entry.get("code", ""))) == prefix:
                count[path] += 1
    if not count:
        raise UsageError(f"no rule in {catalog.rules_dir()} has the prefix {prefix}")
    return count.most_common(1)[0][0]


def family_checklist(prefix: str) -> tuple[str, ...]:
    """The checklist item the family's rules check most often: a start the author revisits."""
    count = Counter(
        cid for r in catalog.load().values() if prefix_of(r.code) == prefix for cid in r.checklist
    )
    return (count.most_common(1)[0][0],) if count else ()


def render(entry: Entry) -> str:
    s = entry.skeleton
    return (
        f"- code: {entry.code}\n"
        f"  name: {entry.name}\n"
        f"  severity: {entry.severity}\n"
        f"  checklist: [{', '.join(entry.checklist)}]\n"
        '  summary: "TODO one sentence: what the rule finds (the README\'s table shows it)."\n'
        "  why: >\n"
        "    TODO: what goes wrong in production when this is left as it is, and why the rule\n"
        "    looks where it does.\n"
        "  fix: >\n"
        "    TODO: what to change, with the key, instruction or call to use.\n"
        "  examples:\n"
        "    bad:\n"
        "      # TODO: make this break the rule; `line` is where the finding is reported\n"
        f"      - path: {s.path}\n"
        f"        line: {s.line}\n"
        f"        text: |\n{_indented(s.text)}"
        "    good:\n"
        "      # TODO: the same file with the rule's fix applied\n"
        f"      - path: {s.path}\n"
        f"        text: |\n{_indented(s.text)}"
    )


def _indented(text: str) -> str:
    return "".join(f"          {line}" if line.strip() else line for line in text.splitlines(True))


def write(path: Path, entry: Entry) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n\n" + render(entry), encoding="utf-8")
