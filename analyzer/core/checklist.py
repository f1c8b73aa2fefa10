"""The checklist the rules answer to, loaded once from checklist.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


def load_yaml(text: str) -> Any:
    """Safe loading with libyaml when pyyaml has it: the catalog and checklist are read every run."""
    if hasattr(yaml, "CSafeLoader"):
        return yaml.load(text, Loader=yaml.CSafeLoader)
    return yaml.safe_load(text)


@dataclass(frozen=True)
class Item:
    id: str
    section: str
    title: str

    @property
    def group(self) -> str:
        return self.id.split("-")[0]


@functools.cache
def items() -> tuple[Item, ...]:
    text = (Path(__file__).parent / "checklist.yaml").read_text(encoding="utf-8")
    raw = load_yaml(text)
    return tuple(Item(str(r["id"]), str(r["section"]), str(r["title"])) for r in raw)


@functools.cache
def by_id() -> dict[str, Item]:
    return {item.id: item for item in items()}
