"""An HTML page as the `<link>` tags of its head: resource hints are what rules read of it.

The standard library's parser is lenient (it never rejects a page), which
fits: a template with placeholders (`%PUBLIC_URL%`, `{{ }}`) is still a page
whose links can be read, so nothing here raises ParseError.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser

from analyzer.core.model import SourceFile


@dataclass(frozen=True)
class Link:
    rel: tuple[str, ...]  # lower-cased tokens of `rel`: ("preload",), ("icon",)...
    href: str
    as_: str  # the `as` attribute (script, style, font...), or ""
    line: int


@dataclass(frozen=True)
class HtmlFile:
    path: str
    links: tuple[Link, ...] = ()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "link":
            return
        values = {name.lower(): value or "" for name, value in attrs}
        rel = tuple(values.get("rel", "").lower().split())
        if rel:
            self.links.append(
                Link(rel, values.get("href", ""), values.get("as", "").lower(), self.getpos()[0])
            )


def parse(src: SourceFile) -> HtmlFile:
    reader = _Links()
    reader.feed(src.text)
    reader.close()
    return HtmlFile(src.path, tuple(reader.links))
