"""YAML with a line and column for every key and value.

pyyaml composes a node graph that carries marks; we convert that graph to
plain dicts and lists ourselves (instead of the constructor) so that
1. every mapping remembers where each key and value stood,
2. alias expansion is bounded (a billion-laughs file stops with an error,
   not with the machine's memory), and
3. nothing but the safe scalar types is ever constructed.

Documents are split on `---` lines before parsing, so one broken document
does not hide the good ones around it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import Any

import yaml

from analyzer.core import bounds
from analyzer.parsers import ParseError

try:  # the C composer is several times faster; fall back when libyaml is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

# defaults; the limits in force come from the scan's configuration (bounds.current())
MAX_NODES = bounds.DEFAULT_MAX_YAML_NODES  # values produced for one document, aliases expanded
MAX_DEPTH = bounds.DEFAULT_MAX_YAML_DEPTH

Mark = tuple[int, int]  # 1-based line, 1-based column

_DOC_START = re.compile(r"^---(?:\s|$)")
_SCALAR_TAGS = {
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}
_MERGE_TAG = "tag:yaml.org,2002:merge"
_constructor = yaml.constructor.SafeConstructor()


class YamlMap(dict[Any, Any]):
    """A mapping that knows where it, its keys and its values stand."""

    mark: Mark = (0, 0)
    key_marks: dict[Any, Mark]
    value_marks: dict[Any, Mark]

    def __init__(self) -> None:
        super().__init__()
        self.key_marks = {}
        self.value_marks = {}

    def key_mark(self, key: Any) -> Mark:
        return self.key_marks.get(key, self.mark)

    def value_mark(self, key: Any) -> Mark:
        return self.value_marks.get(key, self.key_mark(key))


class YamlSeq(list[Any]):
    """A sequence that knows where it and each item stand."""

    mark: Mark = (0, 0)
    item_marks: list[Mark]

    def __init__(self) -> None:
        super().__init__()
        self.item_marks = []

    def item_mark(self, index: int) -> Mark:
        return self.item_marks[index] if index < len(self.item_marks) else self.mark


@dataclass(frozen=True)
class Document:
    """One YAML document of a file; `error` is set when it could not be parsed."""

    data: Any
    start_line: int
    error: str | None = None
    error_line: int | None = None


def split_documents(text: str) -> list[tuple[int, str]]:
    """Cut a stream at `---` lines; returns (0-based first line, chunk) pairs."""
    chunks: list[tuple[int, str]] = []
    start = 0
    # lines as the scan counts them: only "\n" ends one (YAML also breaks at a lone "\r",
    # U+0085, U+2028 and U+2029, which would shift every line number after them)
    pieces = text.split("\n")
    lines = [p + "\n" for p in pieces[:-1]] + ([pieces[-1]] if pieces[-1] else [])
    for i, line in enumerate(lines):
        if i > start and _DOC_START.match(line):
            chunks.append((start, "".join(lines[start:i])))
            start = i
    chunks.append((start, "".join(lines[start:])))
    return chunks


def load_documents(text: str) -> list[Document]:
    """Every document of the stream, in order; broken ones carry their error."""
    docs: list[Document] = []
    for offset, chunk in split_documents(text):
        last = offset + max(1, chunk.count("\n") + (not chunk.endswith("\n")))  # its last line
        try:
            nodes = list(yaml.compose_all(chunk, Loader=_Loader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = min(offset + chunk.count("\n", 0, mark.index) + 1, last) if mark else offset + 1
            reason = str(exc.problem or exc.context or "invalid YAML")
            docs.append(Document(None, offset + 1, f"invalid YAML: {reason}", line))
            continue
        except (yaml.YAMLError, RecursionError, ValueError) as exc:
            docs.append(Document(None, offset + 1, f"invalid YAML: {_short(exc)}", offset + 1))
            continue
        for node in nodes:
            if node is None:
                continue
            try:
                converter = _Converter(offset, last, chunk)
                data = converter.convert(node, 0)
            except ParseError as exc:
                docs.append(Document(None, offset + 1, exc.reason, exc.line))
                continue
            docs.append(Document(data, converter.mark(node)[0]))
    return docs


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _Converter:
    def __init__(self, offset: int, last: int, chunk: str) -> None:
        self.offset = offset
        self.last = last  # the chunk's last line: an empty node at EOF is marked one past it
        self.starts = [0, *(m.end() for m in re.finditer("\n", chunk))]  # index of each line
        self.count = 0
        limits = bounds.current()
        self.max_nodes, self.max_depth = limits.max_yaml_nodes, limits.max_yaml_depth

    def mark(self, node: yaml.Node) -> Mark:
        index = node.start_mark.index  # characters from the chunk's start: exact, unlike .line
        row = bisect.bisect_right(self.starts, index) - 1
        line = self.offset + row + 1
        if line > self.last:
            return (self.last, 1)
        return (line, index - self.starts[row] + 1)

    def convert(self, node: yaml.Node, depth: int) -> Any:
        self.count += 1
        if self.count > self.max_nodes:
            raise ParseError(
                f"YAML expands to more than {self.max_nodes} values (max-yaml-nodes; alias bomb?)",
                self.mark(node)[0],
            )
        if depth > self.max_depth:
            raise ParseError(
                f"YAML nested deeper than {self.max_depth} levels (max-yaml-depth)",
                self.mark(node)[0],
            )
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            seq = YamlSeq()
            seq.mark = self.mark(node)
            for item in node.value:
                seq.append(self.convert(item, depth + 1))
                seq.item_marks.append(self.mark(item))
            return seq
        return self.scalar(node)

    def scalar(self, node: yaml.Node) -> Any:
        if node.tag in _SCALAR_TAGS:
            try:
                return _constructor.construct_object(node)
            except (yaml.YAMLError, ValueError):
                return node.value
        return str(node.value)

    def mapping(self, node: yaml.MappingNode, depth: int) -> YamlMap:
        out = YamlMap()
        out.mark = self.mark(node)
        merged: list[YamlMap] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                value = self.convert(value_node, depth + 1)
                sources = value if isinstance(value, list) else [value]
                merged.extend(s for s in sources if isinstance(s, YamlMap))
                continue
            key = self.convert(key_node, depth + 1)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                key = str(key)
            out[key] = self.convert(value_node, depth + 1)
            out.key_marks[key] = self.mark(key_node)
            out.value_marks[key] = self.mark(value_node)
        for source in merged:  # explicit keys win over merged ones
            for key, value in source.items():
                if key not in out:
                    out[key] = value
                    out.key_marks[key] = source.key_mark(key)
                    out.value_marks[key] = source.value_mark(key)
        return out
