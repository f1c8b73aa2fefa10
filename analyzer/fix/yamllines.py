"""New `key: value` lines written straight into the text of a YAML file.

ruamel.yaml keeps comments and key order, but it writes every line again:
quoting, flow mappings, sequences not indented under their key, indentation
it cannot guess, all come back respelled in many real manifests, and then the
fix is refused. Adding a key to a block mapping needs none of that: where the
mapping's keys stand (the parsed file's marks) gives the place and the
indentation of the new line, so the fix is that line and nothing else.

Every plan is checked by loading the result again: its documents must be the
old ones plus exactly the intended keys. Anything else (a block scalar that
would swallow the line, a mapping shared through an anchor) drops the plan, and
ruamel.yaml, or a refusal, decides instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from analyzer.core.model import Finding
from analyzer.parsers.yamlmarks import Document, YamlMap, YamlSeq, load_documents

POD_CONTAINERS = ("initContainers", "containers", "ephemeralContainers")
SECURITY_SETTINGS = {
    "K8S006": ("runAsNonRoot", True),
    "K8S007": ("allowPrivilegeEscalation", False),
    "K8S016": ("readOnlyRootFilesystem", True),
}
CODES = ("CMP003", "K8S017", *SECURITY_SETTINGS)

_ANCHOR = re.compile(r":(initContainers|containers)\[(.*)\]:\w+$")
_BOOL_TOKEN = re.compile(r"(?:true|false|yes|no|on|off)(?=\s|#|$)", re.IGNORECASE)
_DOC_MARKER = re.compile(r"^(?:---|\.\.\.)(?:\s|$)")

Path = tuple[Any, ...]  # keys and indices from a document's root


@dataclass(frozen=True)
class Want:
    """`key: value` wanted in the mapping at `path` (created as `{key: value}` when absent)."""

    key: str
    value: bool | str
    after: tuple[str, ...] = ()  # put it after the last of these keys present
    first: bool = False  # no `after` key present: put it first rather than last


@dataclass
class _Target:
    doc: int
    path: Path
    wants: list[Want] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


@dataclass(frozen=True)
class Outcome:
    text: str
    fixed: tuple[Finding, ...]
    left: tuple[tuple[Finding, str], ...]  # not done here, ruamel.yaml may: (finding, why)
    refused: tuple[tuple[Finding, str], ...] = ()  # not to be done at all: (finding, why)
    inserted: tuple[tuple[int, int], ...] = ()  # (0-based old row, rows put before it)

    def moved(self, line: int) -> int:
        """Where 1-based `line` of the old text stands in the new one."""
        return line + sum(n for at, n in self.inserted if at <= line - 1)


def fix(text: str, findings: Sequence[Finding]) -> Outcome:
    """Fix what can be fixed by inserting (or, for a wrong boolean, rewriting) single lines."""
    docs = load_documents(text)
    if any(d.error for d in docs):
        return Outcome(text, (), tuple((f, "a document does not parse") for f in findings))
    rows = text.split("\n")
    targets: dict[tuple[int, Path], _Target] = {}
    left: list[tuple[Finding, str]] = []
    refused: list[tuple[Finding, str]] = []
    for f in findings:
        found = _target_of(f, docs)
        if isinstance(found, str):
            refused.append((f, found))
            continue
        doc, path, want = found
        target = targets.setdefault((doc, path), _Target(doc, path))
        if all(w.key != want.key for w in target.wants):
            target.wants.append(want)
        target.findings.append(f)
    inserts: dict[int, list[str]] = {}  # 0-based row -> rows to put before it
    swaps: dict[int, tuple[int, int, str]] = {}  # 0-based row -> (start, end, new text)
    done: list[_Target] = []
    for target in targets.values():
        why = _render(target, docs, rows, inserts, swaps)
        if why is None:
            done.append(target)
        else:
            left.extend((f, why) for f in target.findings)
    if not done:
        return Outcome(text, (), tuple(left), tuple(refused))
    new = _apply(rows, inserts, swaps)
    if not _as_intended(docs, new, done):
        why = "the inserted lines would change more than the intended keys"
        left.extend((f, why) for t in done for f in t.findings)
        return Outcome(text, (), tuple(left), tuple(refused))
    fixed = tuple(f for t in done for f in t.findings)
    moved = tuple((at, len(r)) for at, r in inserts.items())
    return Outcome(new, fixed, tuple(left), tuple(refused), moved)


# ---------------------------------------------------------------------- where


def _target_of(f: Finding, docs: list[Document]) -> tuple[int, Path, Want] | str:
    if f.line is None:
        return "no place to fix"
    if f.code == "CMP003":
        return _service_at(docs, f.line)
    if f.code == "K8S017":
        return _pod_spec_at(docs, f.line)
    key, value = SECURITY_SETTINGS[f.code]
    found = _container_at(docs, f)
    if found is None:
        return "no container at that line"
    doc, path, container, spec = found
    users = (_setting(container, "runAsUser"), _setting(spec, "runAsUser"))
    if f.code == "K8S006" and any(_is_root(u) for u in users):
        return "the container runs as root on purpose (runAsUser: 0); a person must change it"
    context = container.get("securityContext")
    if isinstance(context, YamlMap) and context.get(key) == value:
        return "already set; the finding comes from another level"
    return doc, (*path, "securityContext"), Want(key, value)


def _is_root(uid: Any) -> bool:
    """UID 0 as the rule reads it: a number or a quoted number."""
    return not isinstance(uid, bool) and str(uid).strip() == "0"


def _setting(node: YamlMap, key: str) -> Any:
    context = node.get("securityContext")
    return context.get(key) if isinstance(context, YamlMap) else None


def _service_at(docs: list[Document], line: int) -> tuple[int, Path, Want] | str:
    for i, doc in enumerate(docs):
        services = doc.data.get("services") if isinstance(doc.data, YamlMap) else None
        if not isinstance(services, YamlMap):
            continue
        for name, svc in services.items():
            if isinstance(svc, YamlMap) and line in (services.key_mark(name)[0], svc.mark[0]):
                if "restart" in svc:
                    return "the service already sets `restart`"
                after = ("image", "build", "container_name")
                return i, ("services", name), Want("restart", "unless-stopped", after)
    return "no service at that line"


def _pod_specs(node: Any, path: Path = ()) -> Iterator[tuple[Path, YamlMap, int]]:
    """(path, pod spec, line of the key holding it) for every mapping with a `containers` list."""
    stack: list[tuple[Path, Any, int]] = [(path, node, 0)]
    while stack:
        here, current, line = stack.pop()
        if isinstance(current, YamlMap):
            if isinstance(current.get("containers"), YamlSeq):
                yield here, current, line
            stack.extend((((*here, k), v, current.key_mark(k)[0]) for k, v in current.items()))
        elif isinstance(current, YamlSeq):
            stack.extend(((*here, i), v, current.item_mark(i)[0]) for i, v in enumerate(current))


def _pod_spec_at(docs: list[Document], line: int) -> tuple[int, Path, Want] | str:
    for i, doc in enumerate(docs):
        for path, spec, key_line in _pod_specs(doc.data):
            lines = {spec.mark[0], key_line}
            if "serviceAccountName" in spec:
                lines.add(spec.key_mark("serviceAccountName")[0])
            if line in lines:
                want = Want("automountServiceAccountToken", False, ("serviceAccountName",), True)
                return i, path, want
    return "no pod spec at that line"


def _container_at(docs: list[Document], f: Finding) -> tuple[int, Path, YamlMap, YamlMap] | None:
    """The finding's container: by the name in its anchor within its document, else the
    nearest container starting at or above its line."""
    assert f.line is not None
    named = _ANCHOR.search(f.anchor)
    candidates: list[tuple[int, Path, YamlMap, YamlMap, str]] = []
    for i, doc in enumerate(docs):
        for path, spec, _ in _pod_specs(doc.data):
            for group in POD_CONTAINERS:
                seq = spec.get(group)
                for j, item in enumerate(seq if isinstance(seq, YamlSeq) else []):
                    if isinstance(item, YamlMap):
                        candidates.append((i, (*path, group, j), item, spec, group))
    if named:
        group, name = named.groups()
        here = _document_of(docs, f.line)
        same = [
            c
            for c in candidates
            if c[0] == here
            and str(c[2].get("name")) == name
            and (c[4] == group or (group == "containers" and c[4] == "ephemeralContainers"))
        ]
        if len(same) == 1:
            i, path, item, spec, _ = same[0]
            return i, path, item, spec
    above = [c for c in candidates if c[2].mark[0] <= f.line]
    if not above:
        return None
    i, path, item, spec, _ = max(above, key=lambda c: c[2].mark[0])
    return i, path, item, spec


def _document_of(docs: list[Document], line: int) -> int:
    starts = [d.start_line for d in docs]
    return max((i for i, s in enumerate(starts) if s <= line), default=0)


def _node(docs: list[Document], doc: int, path: Path) -> Any:
    node: Any = docs[doc].data
    for step in path:
        mapped = isinstance(node, YamlMap) and step in node
        if not mapped and not (
            isinstance(node, YamlSeq) and isinstance(step, int) and 0 <= step < len(node)
        ):
            return None
        node = node[step]
    return node


# ---------------------------------------------------------------------- how


def _render(
    target: _Target,
    docs: list[Document],
    rows: list[str],
    inserts: dict[int, list[str]],
    swaps: dict[int, tuple[int, int, str]],
) -> str | None:
    """Plan the rows of one target mapping; None when planned, else why not."""
    mapping = _node(docs, target.doc, target.path)
    if mapping is None:
        parent = _node(docs, target.doc, target.path[:-1])
        if not isinstance(parent, YamlMap) or target.path[-1] in parent:
            return "the mapping to add to is empty or not a mapping"
        col = _block_column(parent, rows)
        if col is None:
            return "the enclosing mapping is written in flow style"
        at = _block_end(rows, _last_key_line(parent), col) + 1
        step = _step(parent, docs, rows)
        new = [_row(rows, col, f"{target.path[-1]}:")]
        new += [_row(rows, col + step, _pair(w)) for w in target.wants]
        inserts.setdefault(at, []).extend(new)
        return None
    if not isinstance(mapping, YamlMap) or not mapping:
        return "the mapping to add to is empty or not a mapping"
    col = _block_column(mapping, rows)
    if col is None:
        return "the mapping is written in flow style"
    for want in target.wants:
        if want.key in mapping:
            why = _swap(mapping, want, rows, swaps)
            if why:
                return why
            continue
        at = _insertion_row(mapping, want, rows, col)
        inserts.setdefault(at, []).append(_row(rows, col, _pair(want)))
    return None


def _own_keys(mapping: YamlMap) -> list[Any]:
    """Keys written in this mapping (merged `<<:` keys stand elsewhere), in order."""
    return [
        k
        for k in mapping
        if mapping.key_mark(k)[1] == mapping.mark[1] and mapping.key_mark(k)[0] >= mapping.mark[0]
    ]


def _block_column(mapping: YamlMap, rows: list[str]) -> int | None:
    """The 1-based column of a block mapping's keys; None for a flow mapping `{...}`."""
    keys = _own_keys(mapping)
    if not keys:
        return None
    lines = [mapping.key_mark(k)[0] for k in keys]
    if len(set(lines)) != len(lines):
        return None
    col = mapping.mark[1]
    for line in lines:
        lead = rows[line - 1][: col - 1]
        if lead.replace("-", " ").strip():  # only spaces and sequence dashes may precede a key
            return None
    return col


def _last_key_line(mapping: YamlMap) -> int:
    return max(mapping.key_mark(k)[0] for k in _own_keys(mapping))


def _insertion_row(mapping: YamlMap, want: Want, rows: list[str], col: int) -> int:
    """0-based row the new key goes before."""
    keys = _own_keys(mapping)
    lines = sorted(mapping.key_mark(k)[0] for k in keys)
    anchors = [mapping.key_mark(k)[0] for k in want.after if k in keys]
    if anchors:
        start = max(anchors)
        later = [n for n in lines if n > start]
        end = _last_content(rows, start, later[0] - 1) if later else _block_end(rows, start, col)
        return end + 1
    if want.first and rows[lines[0] - 1][: col - 1].strip() == "":
        at = lines[0] - 1
        while at > 0 and _is_comment_at(rows[at - 1], col):
            at -= 1  # keep the first key's own comment above it
        return at
    return _block_end(rows, lines[-1], col) + 1


def _is_comment_at(row: str, col: int) -> bool:
    text = row.rstrip("\r")
    return text.lstrip(" ").startswith("#") and len(text) - len(text.lstrip(" ")) == col - 1


def _last_content(rows: list[str], start: int, stop: int) -> int:
    """0-based index of the last row in 1-based lines start..stop that is not blank or comment."""
    last = start - 1
    for i in range(start, stop):
        if not _skippable(rows[i]):
            last = i
    return last


def _block_end(rows: list[str], start: int, col: int) -> int:
    """0-based index of the last content row of the block whose key is on 1-based line start."""
    last = start - 1
    for i in range(start, len(rows)):
        text = rows[i].rstrip("\r")
        if _skippable(text):
            continue
        if _DOC_MARKER.match(text) or len(text) - len(text.lstrip(" ")) < col - 1:
            break
        last = i
    return last


def _skippable(row: str) -> bool:
    stripped = row.strip()
    return not stripped or stripped.startswith("#")


def _step(near: YamlMap, docs: list[Document], rows: list[str]) -> int:
    """How far a nested mapping is indented under its key: as in the mapping the new one goes
    into, else as in the file (the first place that shows it), else 2."""
    queue: list[Any] = [near, *(d.data for d in docs)]
    for node in queue:  # grows while it is walked: breadth first, in file order
        if isinstance(node, YamlMap):
            for k, v in node.items():
                if isinstance(v, YamlMap) and v and _block_column(v, rows):
                    step = v.mark[1] - node.key_mark(k)[1]
                    if step > 0 and v.mark[0] > node.key_mark(k)[0]:
                        return step
            queue.extend(node.values())
        elif isinstance(node, YamlSeq):
            queue.extend(node)
    return 2


def _swap(
    mapping: YamlMap, want: Want, rows: list[str], swaps: dict[int, tuple[int, int, str]]
) -> str | None:
    """Rewrite a plain boolean written on the key's own line; None when planned."""
    line, col = mapping.value_mark(want.key)
    match = _BOOL_TOKEN.match(rows[line - 1], col - 1)
    if not isinstance(want.value, bool) or match is None:
        return "the value to replace is not a plain boolean"
    swaps[line - 1] = (match.start(), match.end(), _scalar(want.value))
    return None


def _pair(want: Want) -> str:
    return f"{want.key}: {_scalar(want.value)}"


def _scalar(value: bool | str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _row(rows: list[str], col: int, text: str) -> str:
    crlf = sum(r.endswith("\r") for r in rows) * 2 > len(rows)
    return " " * (col - 1) + text + ("\r" if crlf else "")


def _apply(
    rows: list[str], inserts: dict[int, list[str]], swaps: dict[int, tuple[int, int, str]]
) -> str:
    out = list(rows)
    for i, (start, end, new) in swaps.items():
        out[i] = out[i][:start] + new + out[i][end:]
    for at in sorted(inserts, reverse=True):
        new_rows = list(inserts[at])
        if at >= len(out):  # after the last line of a file with no final line break
            if new_rows[-1].endswith("\r"):
                out[-1] += "\r"
                new_rows[-1] = new_rows[-1][:-1]
            at = len(out)
        out[at:at] = new_rows
    return "\n".join(out)


# ---------------------------------------------------------------------- check


def _as_intended(old: list[Document], new_text: str, done: list[_Target]) -> bool:
    """The new documents are the old ones with exactly the planned keys set."""
    new = load_documents(new_text)
    if any(d.error for d in new) or len(new) != len(old):
        return False
    expected = [_plain(d.data) for d in old]
    try:
        for target in done:
            node: Any = expected[target.doc]
            for step in target.path[:-1]:
                node = node[step]
            if isinstance(node, dict) and node.get(target.path[-1]) is None:
                node[target.path[-1]] = {}  # the mapping the fix creates
            node = node[target.path[-1]]
            for want in target.wants:
                node[want.key] = want.value
    except (KeyError, IndexError, TypeError):
        return False
    return expected == [_plain(d.data) for d in new]


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node
