"""Reading a file's text: size bounds, byte-order marks, and text that is not UTF-8.

Decoding is decided here once so every parser sees the same text and every unreadable file
gets the same note.
"""

from __future__ import annotations

import codecs
from pathlib import Path


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def read_text(path: Path, max_bytes: int) -> tuple[str | None, str | None]:
    """(text, problem): text None when the file is binary or too large; problem says why."""
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(min(size, max_bytes) + 1 if size <= max_bytes else 8192)
    return decode(head, size, max_bytes)


def decode(head: bytes, size: int, max_bytes: int) -> tuple[str | None, str | None]:
    """`read_text` on bytes already read: `head` is the whole file unless `size` is too large."""
    if size > max_bytes:
        if b"\0" in head and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return None, "binary content"
        return None, f"larger than {max_bytes} bytes (max-file-bytes); not scanned"
    data = head
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), None
        except UnicodeDecodeError:
            return None, "invalid UTF-16 text"
    if b"\0" in data[:8192]:
        return None, "binary content (NUL bytes); not scanned"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return data.decode("utf-8", errors="replace"), (
            f"not valid UTF-8 (first bad byte on line {line}); scanned with replacement characters"
        )
