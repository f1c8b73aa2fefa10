"""The checklist the rules answer to, loaded once from checklist.yaml."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import yaml


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
    raw = yaml.safe_load((Path(__file__).parent / "checklist.yaml").read_text(encoding="utf-8"))
    return tuple(Item(str(r["id"]), str(r["section"]), str(r["title"])) for r in raw)


@functools.cache
def by_id() -> dict[str, Item]:
    return {item.id: item for item in items()}
