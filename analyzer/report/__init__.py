"""The report formats, by the name `--format` takes.

Every format is a pure function of the ScanResult, so the CLI, the GitHub
Action and the tests all get the same bytes for the same scan.
"""

from __future__ import annotations

from typing import Protocol

from analyzer.core.errors import UsageError
from analyzer.core.model import ScanResult
from analyzer.report import github, gitlab, json_report, junit, markdown, sarif, text


class Renderer(Protocol):
    def __call__(self, result: ScanResult, *, color: bool = False) -> str: ...


FORMATS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "github": github.render,
    "markdown": markdown.render,
    "gitlab": gitlab.render,
    "junit": junit.render,
}


def render(fmt: str, result: ScanResult, color: bool = False) -> str:
    try:
        renderer = FORMATS[fmt]
    except KeyError:
        names = ", ".join(FORMATS)
        raise UsageError(f"unknown format {fmt!r} (choose from {names})") from None
    return renderer(result, color=color)


__all__ = ["FORMATS", "Renderer", "render"]
