"""Compose and Kubernetes fixes, written with ruamel.yaml's round-trip mode.

pyyaml (which the scan reads with) forgets comments, key order and quoting
when it writes, so a fix written with it would rewrite the whole file.
ruamel.yaml keeps them. It still normalises some spellings (indentation
widths it cannot guess, spacing inside flow mappings), so every result is
compared with the original line by line: when the dump changed a line the fix
did not mean to touch, the file is left alone and the findings are reported
as not fixed, rather than reformatting the file behind the user's back.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Iterator, Sequence
from dataclasses import replace
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, SingleQuotedScalarString

from analyzer.core.model import Finding
from analyzer.fix import yamllines
from analyzer.fix.base import FileContext, FileFix, FixOptions

CODES = ("CMP003", "CMP007", "K8S006", "K8S007", "K8S016", "K8S017")

_POD_CONTAINERS = ("initContainers", "containers", "ephemeralContainers")


def fix(
    text: str,
    findings: Sequence[Finding],
    options: FixOptions,
    context: FileContext | None = None,
) -> FileFix:
    """Inserted lines where they can do (`yamllines`), ruamel.yaml for the rest.

    ruamel.yaml works on the text the inserted lines left, so the findings it
    gets are moved to where their lines now stand, and mapped back when done.
    """
    lines = yamllines.fix(text, [f for f in findings if f.code in yamllines.CODES])
    rest = [f for f in findings if f.code not in yamllines.CODES] + [f for f, _ in lines.left]
    if not rest:
        return FileFix(lines.text, lines.fixed, lines.refused)
    pairs = [(f, replace(f, line=None if f.line is None else lines.moved(f.line))) for f in rest]
    outcome = _with_ruamel(lines.text, [m for _, m in pairs], options)
    original = {id(m): f for f, m in pairs}
    return FileFix(
        outcome.text,
        lines.fixed + tuple(original[id(m)] for m in outcome.fixed),
        lines.refused + tuple((original[id(m)], why) for m, why in outcome.skipped),
    )


def _with_ruamel(text: str, findings: Sequence[Finding], options: FixOptions) -> FileFix:
    try:
        yaml, docs = _load(text)
    except Exception as exc:  # ruamel's errors have no common base worth naming
        return FileFix(
            text,
            (),
            tuple((f, f"ruamel.yaml cannot read the file: {type(exc).__name__}") for f in findings),
        )
    done: list[Finding] = []
    reasons: dict[int, str] = {}
    changed_lines: set[int] = set()  # 1-based lines whose own text the fix rewrites
    for f in findings:
        outcome = _apply(f, docs, options, changed_lines)
        if outcome is None:
            done.append(f)
        else:
            reasons[id(f)] = outcome
    skipped = tuple((f, reasons[id(f)]) for f in findings if id(f) in reasons)
    if not done:
        return FileFix(text, (), skipped)
    out = io.StringIO()
    yaml.dump_all(docs, out)
    new = out.getvalue()
    if text.startswith("---") is False and new.startswith("---"):
        new = new[new.index("\n") + 1 :]
    if not _only_intended(text, new, changed_lines):
        why = "ruamel.yaml would reformat lines the fix does not touch; left as it is"
        return FileFix(text, (), skipped + tuple((f, why) for f in done))
    return FileFix(new, tuple(done), skipped)


def _load(text: str) -> tuple[YAML, list[Any]]:
    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096
    indent, offset = _guess_indent(text)
    yaml.indent(mapping=indent, sequence=offset + 2, offset=offset)
    yaml.explicit_start = text.lstrip().startswith("---")
    docs = list(yaml.load_all(text))
    return yaml, docs


def _guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, dash offset) as the file writes them, from its first block openers."""
    mapping: int | None = None
    offset: int | None = None
    prev: str | None = None
    for raw in text.splitlines():
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if prev is not None and prev.rstrip().endswith(":"):
            step = (len(raw) - len(raw.lstrip())) - (len(prev) - len(prev.lstrip()))
            if stripped.startswith("- "):
                offset = step if offset is None and step >= 0 else offset
            elif step > 0 and mapping is None:
                mapping = step
        prev = raw
    return mapping or 2, offset or 0


def _only_intended(old: str, new: str, changed: set[int]) -> bool:
    """True when every original line survives, except the ones the fix rewrites."""
    matcher = difflib.SequenceMatcher(None, old.splitlines(), new.splitlines(), autojunk=False)
    for tag, i1, i2, _, _ in matcher.get_opcodes():
        if tag in ("replace", "delete") and not set(range(i1 + 1, i2 + 1)) <= changed:
            return False
    return True


# ---------------------------------------------------------------------- dispatch


def _apply(f: Finding, docs: list[Any], options: FixOptions, changed: set[int]) -> str | None:
    """Make one finding's fix; None when done, else why not."""
    if f.line is None:
        return "no place to fix"
    if f.code == "CMP003":
        return _restart(docs, f.line)
    if f.code == "CMP007":
        return _pin(docs, f.line, options, changed)
    if f.code == "K8S017":
        return _automount(docs, f.line, changed)
    settings = {
        "K8S006": ("runAsNonRoot", True),
        "K8S007": ("allowPrivilegeEscalation", False),
        "K8S016": ("readOnlyRootFilesystem", True),
    }
    key, value = settings[f.code]
    return _container_setting(docs, f.line, key, value, changed)


def _line(node: Any) -> int:
    return int(node.lc.line) + 1


def _key_line(mapping: CommentedMap, key: Any) -> int:
    return int(mapping.lc.key(key)[0]) + 1


def _value_line(mapping: CommentedMap, key: Any) -> int:
    return int(mapping.lc.value(key)[0]) + 1


def _insert_after(mapping: CommentedMap, after: Sequence[str], key: str, value: Any) -> None:
    """Put `key` after the last of `after` present, else at the end."""
    keys = list(mapping.keys())
    pos = max((keys.index(k) + 1 for k in after if k in mapping), default=len(keys))
    mapping.insert(pos, key, value)


# ---------------------------------------------------------------------- compose


def _services(docs: list[Any]) -> Iterator[tuple[CommentedMap, str, CommentedMap]]:
    for doc in docs:
        services = doc.get("services") if isinstance(doc, CommentedMap) else None
        if isinstance(services, CommentedMap):
            for name, svc in services.items():
                if isinstance(svc, CommentedMap):
                    yield services, name, svc


def _restart(docs: list[Any], line: int) -> str | None:
    for services, name, svc in _services(docs):
        if _key_line(services, name) == line or _line(svc) == line:
            if "restart" in svc:
                return "the service already sets `restart`"
            _insert_after(svc, ("image", "build", "container_name"), "restart", "unless-stopped")
            return None
    return "no service at that line"


def _pin(docs: list[Any], line: int, options: FixOptions, changed: set[int]) -> str | None:
    for _, _, svc in _services(docs):
        image = svc.get("image")
        if not isinstance(image, str) or _value_line(svc, "image") != line:
            continue
        if "$" in image:
            return "the tag comes from a variable; pin it where the variable is set"
        repo = image.split("@")[0]
        last = repo.rsplit("/", 1)[-1]
        if ":" in last:
            repo = repo[: len(repo) - len(last) + last.index(":")]
        pinned = options.pins.get(repo)
        if not pinned:
            return f"no pinned tag configured for `{repo}` (never guessed)"
        if not pinned.startswith(repo + ":") and not pinned.startswith(repo + "@"):
            pinned = f"{repo}:{pinned.lstrip(':')}"
        if isinstance(image, (SingleQuotedScalarString, DoubleQuotedScalarString)):
            pinned = type(image)(pinned)
        svc["image"] = pinned
        changed.add(line)
        return None
    return "no `image:` at that line"


# ---------------------------------------------------------------------- kubernetes


def _pod_specs(node: Any) -> Iterator[tuple[CommentedMap | None, Any, CommentedMap]]:
    """(parent, key, pod spec) for every mapping that has a `containers` list."""
    stack: list[tuple[Any, Any, Any]] = [(None, None, node)]
    while stack:
        parent, key, current = stack.pop()
        if isinstance(current, CommentedMap):
            if isinstance(current.get("containers"), CommentedSeq):
                yield parent, key, current
            stack.extend((current, k, v) for k, v in current.items())
        elif isinstance(current, CommentedSeq):
            stack.extend((current, i, v) for i, v in enumerate(current))


def _automount(docs: list[Any], line: int, changed: set[int]) -> str | None:
    for doc in docs:
        for parent, key, spec in _pod_specs(doc):
            lines = {_line(spec)}
            if isinstance(parent, CommentedMap):
                lines.add(_key_line(parent, key))
            if "serviceAccountName" in spec:
                lines.add(_key_line(spec, "serviceAccountName"))
            if line in lines:
                if "automountServiceAccountToken" in spec:
                    changed.add(_key_line(spec, "automountServiceAccountToken"))
                    spec["automountServiceAccountToken"] = False
                    return None
                at = (
                    list(spec.keys()).index("serviceAccountName") + 1
                    if "serviceAccountName" in spec
                    else 0
                )
                spec.insert(at, "automountServiceAccountToken", False)
                return None
    return "no pod spec at that line"


def _container_at(docs: list[Any], line: int) -> CommentedMap | None:
    """The container whose block holds `line` (the nearest container starting at or above it)."""
    best: tuple[int, CommentedMap] | None = None
    for doc in docs:
        for _, _, spec in _pod_specs(doc):
            for field in _POD_CONTAINERS:
                seq = spec.get(field)
                if not isinstance(seq, CommentedSeq):
                    continue
                for item in seq:
                    if (
                        isinstance(item, CommentedMap)
                        and _line(item) <= line
                        and (best is None or _line(item) > best[0])
                    ):
                        best = (_line(item), item)
    return best[1] if best else None


def _container_setting(
    docs: list[Any], line: int, key: str, value: bool, changed: set[int]
) -> str | None:
    container = _container_at(docs, line)
    if container is None:
        return "no container at that line"
    context = container.get("securityContext")
    if context is None:
        context = CommentedMap()
        container["securityContext"] = context
    elif isinstance(context, CommentedMap) and context.fa.flow_style():
        changed.add(_key_line(container, "securityContext"))  # `{...}` is rewritten in place
    if not isinstance(context, CommentedMap):
        return "securityContext is not a mapping"
    if key in context:
        if context[key] == value:
            return "already set; the finding comes from another level"
        changed.add(_key_line(context, key))
    context[key] = value
    return None
