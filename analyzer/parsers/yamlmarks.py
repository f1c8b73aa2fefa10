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

import re
from dataclasses import dataclass
from typing import Any

import yaml

from analyzer.parsers import ParseError

try:  # the C composer is several times faster; fall back when libyaml is absent
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on the platform's wheel
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_NODES = 200_000  # values produced for one file, aliases expanded
MAX_DEPTH = 200

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
    lines = text.splitlines(keepends=True)
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
        try:
            nodes = list(yaml.compose_all(chunk, Loader=_Loader))
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            last = offset + max(1, chunk.count("\n"))
            line = min(offset + mark.line + 1, last) if mark is not None else offset + 1
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
                data = _Converter(offset).convert(node, 0)
            except ParseError as exc:
                docs.append(Document(None, offset + 1, exc.reason, exc.line))
                continue
            docs.append(Document(data, offset + node.start_mark.line + 1))
    return docs


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


class _Converter:
    def __init__(self, offset: int) -> None:
        self.offset = offset
        self.count = 0

    def mark(self, node: yaml.Node) -> Mark:
        return (self.offset + node.start_mark.line + 1, node.start_mark.column + 1)

    def convert(self, node: yaml.Node, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise ParseError(
                f"YAML expands to more than {MAX_NODES} values (alias bomb?)", self.mark(node)[0]
            )
        if depth > MAX_DEPTH:
            raise ParseError(f"YAML nested deeper than {MAX_DEPTH} levels", self.mark(node)[0])
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
