"""A YAML file as documents with marks: the parsed form of compose, Kubernetes and workflow files."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analyzer.core.model import SourceFile
from analyzer.parsers import ParseError
from analyzer.parsers.yamlmarks import Document, YamlMap, load_documents


@dataclass(frozen=True)
class YamlFile:
    path: str
    documents: tuple[Document, ...]
    errors: tuple[tuple[int | None, str], ...] = ()  # broken documents: (line, reason)

    def mappings(self) -> list[tuple[int, YamlMap]]:
        """(document index, top-level mapping) for every well-formed mapping document."""
        return [(i, d.data) for i, d in enumerate(self.documents) if isinstance(d.data, YamlMap)]


def parse(src: SourceFile) -> YamlFile:
    docs = load_documents(src.text)
    errors = tuple((d.error_line, d.error) for d in docs if d.error)
    good = tuple(d for d in docs if not d.error)
    if errors and not good:
        line, reason = errors[0]
        raise ParseError(reason, line)
    return YamlFile(src.path, good, errors)


def dig(node: Any, *keys: Any) -> Any:
    """node[k1][k2]... or None when any step is missing or of the wrong type."""
    for key in keys:
        if isinstance(node, dict):
            node = node.get(key)
        elif isinstance(node, list) and isinstance(key, int) and -len(node) <= key < len(node):
            node = node[key]
        else:
            return None
    return node
