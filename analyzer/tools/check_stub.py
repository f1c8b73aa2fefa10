"""Writes a new rule's check function, as a stub, into the module that holds its family.

The module is found from the registry, not from a table: the one whose functions
register the most codes of the family's prefix (the newest code decides a tie).
Rule modules move and split; the registry always knows where a family lives.
The registry is imported when it is needed: importing it imports every rule module.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from analyzer.core.errors import UsageError
from analyzer.core.model import Finding
from analyzer.tools.imports import add_imports


@dataclass(frozen=True)
class Stub:
    code: str
    function: str
    kind: str | None  # None: a repository check


def prefix_of(code: str) -> str:
    return code.rstrip("0123456789")


def family_module(prefix: str) -> str:
    """The dotted name of the module holding most of the family's registered codes."""
    from analyzer.checks import registry

    registry.load_all()
    count: Counter[str] = Counter()
    newest: dict[str, int] = {}
    checks = [(c.codes, c.fn) for c in registry.FILE_CHECKS] + [
        (c.codes, c.fn) for c in registry.REPO_CHECKS
    ]
    for codes, fn in checks:
        for code in codes:
            if prefix_of(code) == prefix:
                count[fn.__module__] += 1
                newest[fn.__module__] = max(newest.get(fn.__module__, 0), int(code[len(prefix) :]))
    if not count:
        raise UsageError(f"no check registers a {prefix} code: a new family needs its own module")
    return max(count, key=lambda m: (count[m], newest[m]))


def family_kinds(prefix: str) -> Counter[str]:
    """How many of the family's file checks read each kind (repository checks read all)."""
    from analyzer.checks import registry

    registry.load_all()
    return Counter(
        c.kind for c in registry.FILE_CHECKS for code in c.codes if prefix_of(code) == prefix
    )


def module_path(module: str) -> Path:
    file = getattr(sys.modules[module], "__file__", None)
    if file is None:
        raise UsageError(f"{module} has no source file")
    return Path(file)


def function_name(rule_name: str) -> str:
    return rule_name.replace("-", "_")


def render(stub: Stub) -> str:
    if stub.kind is None:
        decorator, param = f'@repo_check("{stub.code}")', "repo: RepoView"
    else:
        decorator, param = f'@file_check("{stub.kind}", "{stub.code}")', "parsed: Any"
    return (
        f"{decorator}\n"
        f"def {stub.function}({param}) -> Iterator[Finding]:\n"
        '    """TODO: why the rule looks where it does, and what it leaves alone on purpose."""\n'
        "    yield from ()  # TODO: the findings; until then the rule's bad example fails\n"
    )


def needed_imports(stub: Stub) -> list[tuple[str, str]]:
    from analyzer.checks import registry
    from analyzer.facts.repo import RepoView

    decorator = registry.repo_check if stub.kind is None else registry.file_check
    wanted = [
        (decorator.__module__, decorator.__name__),
        (Iterator.__module__, "Iterator"),
        (Finding.__module__, Finding.__name__),
    ]
    if stub.kind is None:
        wanted.append((RepoView.__module__, RepoView.__name__))
    else:
        wanted.append(("typing", "Any"))
    return wanted


def write(path: Path, stub: Stub) -> None:
    """Appends the stub to `path`; refuses a name the module already defines."""
    source = path.read_text(encoding="utf-8")
    if f"def {stub.function}(" in source:
        raise UsageError(f"{path.name} already defines {stub.function}()")
    source = add_imports(source, needed_imports(stub))
    path.write_text(source.rstrip("\n") + "\n\n\n" + render(stub), encoding="utf-8")
